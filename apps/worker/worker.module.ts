import { Module } from '@nestjs/common';
import { ConfigModule } from '../../libs/config/config.module';
import { DockerModule } from '../../libs/docker/docker.module';
import { EventsModule } from '../../libs/events/events.module';
import { LabsModule } from '../../libs/labs/labs.module';
import { LtiModule } from '../../libs/lti/lti.module';
import { PersistenceModule } from '../../libs/persistence/persistence.module';
import { QueueModule } from '../../libs/queue/queue.module';
import { MetricsModule } from '../../libs/metrics/metrics.module';
import { JobMetricsService } from './metrics/job-metrics.service';
import { WorkerMetricsServer } from './metrics/worker-metrics.server';
import { GradePassbackService } from './grades/grade-passback.service';
import { GradesProcessor } from './grades/grades.processor';
import { MaintenanceProcessor } from './maintenance/maintenance.processor';
import { ReaperService } from './maintenance/reaper.service';
import { LabGuardService } from './maintenance/lab-guard.service';
import { ReconcilerService } from './maintenance/reconciler.service';
import { PlacementModule } from '../../libs/placement/placement.module';
import { HostJobGate } from './provisioning/host-job-gate';
import { HostPlacementService } from './provisioning/host-placement.service';
import { LabAllocatorService } from './provisioning/lab-allocator.service';
import { LabConsoleService } from './provisioning/lab-console.service';
import { LabsProcessor } from './provisioning/labs.processor';
import { ProvisioningService } from './provisioning/provisioning.service';
import { ResetService } from './provisioning/reset.service';
import { TeardownService } from './provisioning/teardown.service';
import { StepsModule } from '../../libs/steps/steps.module';
import { StepsProcessor } from './steps/steps.processor';
import { StepsService } from './steps/steps.service';
import { WarmPoolService } from './warm-pool/warm-pool.service';

/** The worker: BullMQ processors only, no HTTP. */
@Module({
  imports: [ConfigModule, PersistenceModule, PlacementModule, QueueModule, DockerModule, LabsModule, MetricsModule.forProcess('worker'), EventsModule, LtiModule, StepsModule],
  providers: [
    HostPlacementService,
    HostJobGate,
    LabAllocatorService,
    LabConsoleService,
    ProvisioningService,
    TeardownService,
    ResetService,
    LabsProcessor,
    StepsService,
    StepsProcessor,
    ReaperService,
    ReconcilerService,
    LabGuardService,
    MaintenanceProcessor,
    JobMetricsService,
    WorkerMetricsServer,
    WarmPoolService,
    GradePassbackService,
    GradesProcessor,
  ],
})
export class WorkerModule {}
