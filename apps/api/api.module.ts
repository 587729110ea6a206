import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ConfigModule } from '../../libs/config/config.module';
import { DockerModule } from '../../libs/docker/docker.module';
import { LabsModule } from '../../libs/labs/labs.module';
import { PersistenceModule } from '../../libs/persistence/persistence.module';
import { QueueModule } from '../../libs/queue/queue.module';
import { ClassesController } from './classes/classes.controller';
import { ClassesService } from './classes/classes.service';
import { AuthGuard, TokenResolver } from './common/auth.guard';
import { HttpErrorFilter } from './common/http-error.filter';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { LabDefinitionsController } from './labs/lab-definitions.controller';
import { LabsController } from './labs/labs.controller';
import { LabsService } from './labs/labs.service';

@Module({
  imports: [ConfigModule, PersistenceModule, QueueModule, DockerModule, LabsModule],
  controllers: [HealthController, LabDefinitionsController, ClassesController, LabsController],
  providers: [
    TokenResolver,
    HealthService,
    ClassesService,
    LabsService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
export class ApiModule {}
