import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { type JobPayloads, type JobResults, JobName, PermanentJobError, QueueName } from '../../../libs/queue/jobs';
import { workerOptions } from '../worker-options';
import { StepsService } from './steps.service';

/** Consumes the `steps` queue: a student's run and verify requests. */
@Processor(QueueName.Steps, workerOptions('STEP_CONCURRENCY'))
export class StepsProcessor extends WorkerHost {
  constructor(private readonly steps: StepsService) {
    super();
  }

  async process(job: Job): Promise<JobResults[JobName.RunStep] | JobResults[JobName.VerifyStep]> {
    switch (job.name) {
      case JobName.RunStep: {
        const { labId, stepId } = (job as Job<JobPayloads[JobName.RunStep]>).data;
        return this.steps.run(labId, stepId);
      }
      case JobName.VerifyStep: {
        const { labId, stepId, answer, lang } = (job as Job<JobPayloads[JobName.VerifyStep]>).data;
        return this.steps.verify(labId, stepId, answer, lang);
      }
      default:
        throw new PermanentJobError(`unknown job ${job.name} on queue ${QueueName.Steps}`);
    }
  }
}
