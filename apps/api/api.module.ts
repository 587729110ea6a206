import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../../libs/config/app-config';
import { ConfigModule } from '../../libs/config/config.module';
import { DockerModule } from '../../libs/docker/docker.module';
import { EventsModule } from '../../libs/events/events.module';
import { LabsModule } from '../../libs/labs/labs.module';
import { LtiModule } from '../../libs/lti/lti.module';
import { PersistenceModule } from '../../libs/persistence/persistence.module';
import { QueueModule } from '../../libs/queue/queue.module';
import { ClassesController } from './classes/classes.controller';
import { ClassesService } from './classes/classes.service';
import { PlacementModule } from '../../libs/placement/placement.module';
import { StudentLabsService } from './classes/student-labs.service';
import { AuthGuard } from './common/auth.guard';
import { AuthModule } from './common/auth.module';
import { rateLimitOptions } from './common/rate-limit';
import { RateLimitStore } from './common/rate-limit.store';
import { TextInputPipe } from './common/text-input.pipe';
import { HttpErrorFilter } from './common/http-error.filter';
import { GatewayModule } from './gateway/gateway.module';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { DashboardLinksController } from './instructors/dashboard-links.controller';
import { DashboardLinksService } from './instructors/dashboard-links.service';
import { LabDefinitionsController } from './labs/lab-definitions.controller';
import { LabsController } from './labs/labs.controller';
import { LabsService } from './labs/labs.service';
import { StudentPageModule } from './student-page/student-page.module';
import { TerminalsModule } from './terminals/terminals.module';
import { DashboardPageModule } from './dashboard/dashboard-page.module';
import { MetricsModule } from '../../libs/metrics/metrics.module';
import { ApiMetricsModule } from './metrics/api-metrics.module';
import { DocsModule } from './docs/docs.module';
import { StepsModule } from '../../libs/steps/steps.module';
import { ltiControllers, ltiProviders } from './lti/lti.providers';

@Module({
  imports: [
    ConfigModule,
    PersistenceModule,
    PlacementModule,
    QueueModule,
    DockerModule,
    LabsModule,
    TerminalsModule,
    StudentPageModule,
    GatewayModule,
    AuthModule,
    EventsModule,
    DashboardPageModule,
    LtiModule,
    ThrottlerModule.forRootAsync({
      imports: [AuthModule],
      inject: [APP_CONFIG, RateLimitStore],
      useFactory: (config: AppConfig, store: RateLimitStore) => rateLimitOptions(config, store),
    }),
    MetricsModule.forProcess('api'),
    ApiMetricsModule,
    DocsModule,
    StepsModule,
  ],
  controllers: [HealthController, LabDefinitionsController, ClassesController, LabsController, DashboardLinksController, ...ltiControllers],
  providers: [
    HealthService,
    ClassesService,
    StudentLabsService,
    LabsService,
    DashboardLinksService,
    ...ltiProviders,
    // Order matters: authentication first (it limits requests without a valid token per
    // address before any lookup), so that the per-token rate limit knows who is calling.
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
    // Before every other pipe: no body, param or query string Postgres cannot store gets further.
    { provide: APP_PIPE, useClass: TextInputPipe },
  ],
})
export class ApiModule {}
