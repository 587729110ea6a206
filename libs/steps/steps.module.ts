import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module';
import { LabsModule } from '../labs/labs.module';
import { GradeScheduler } from '../lti/grade-scheduler';
import { PersistenceModule } from '../persistence/persistence.module';
import { QueueModule } from '../queue/queue.module';
import { LabContextFactory } from './lab-context.factory';
import { StepVerification } from './step-verification';

/** What the worker and the API share to verify a step: the lab's context, the verification itself, the grade it queues. Needs DockerModule (global). */
@Module({
  imports: [ConfigModule, PersistenceModule, QueueModule, LabsModule],
  providers: [LabContextFactory, StepVerification, GradeScheduler],
  exports: [LabContextFactory, StepVerification, GradeScheduler],
})
export class StepsModule {}
