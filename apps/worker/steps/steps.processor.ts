import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { LabStepSlots } from '../../../libs/queue/lab-step-slots';
import { type JobPayloads, type JobResults, JobName, PermanentJobError, QueueName } from '../../../libs/queue/jobs';
import { workerOptions } from '../worker-options';
import { StepsService } from './steps.service';

/** Consumes the `steps` queue: a student's run and verify requests. */
@Processor(QueueName.Steps, workerOptions('STEP_CONCURRENCY'))
export class StepsProcessor extends WorkerHost {
  constructor(
    private readonly steps: StepsService,
    private readonly slots: LabStepSlots,
  ) {
    super();
  }

  async process(job: Job): Promise<JobResults[JobName.RunStep] | JobResults[JobName.VerifyStep]> {
    try {
      return await this.dispatch(job);
    } finally {
      // Before the result is published: a student who waits for each answer never meets the per-lab limit.
      await this.slots.release((job.data as { labId: string }).labId, job.id!);
    }
  }

  private dispatch(job: Job): Promise<JobResults[JobName.RunStep] | JobResults[JobName.VerifyStep]> {
    switch (job.name) {
      case JobName.RunStep: {
        const { labId, stepId, lab } = (job as Job<JobPayloads[JobName.RunStep]>).data;
        return this.steps.run(labId, stepId, { lab });
      }
      case JobName.VerifyStep: {
        const { labId, stepId, answer, lang, lab } = (job as Job<JobPayloads[JobName.VerifyStep]>).data;
        return this.steps.verify(labId, stepId, answer, lang, lab);
      }
      default:
        throw new PermanentJobError(`unknown job ${job.name} on queue ${QueueName.Steps}`);
    }
  }
}
