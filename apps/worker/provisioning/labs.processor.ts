import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { LabEvents } from '../../../libs/events/lab-events';
import { type JobPayloads, type JobResults, JobName, PermanentJobError, QueueName } from '../../../libs/queue/jobs';
import { workerOptions } from '../worker-options';
import { HostJobGate } from './host-job-gate';
import { ProvisioningService } from './provisioning.service';
import { ResetService } from './reset.service';
import { TeardownService } from './teardown.service';
import { WarmPoolService } from '../warm-pool/warm-pool.service';

/** Consumes the `labs` queue: provisioning and teardown. */
@Processor(QueueName.Labs, workerOptions('PROVISION_CONCURRENCY'))
export class LabsProcessor extends WorkerHost {
  private readonly logger = new Logger(LabsProcessor.name);

  constructor(
    private readonly provisioning: ProvisioningService,
    private readonly teardowns: TeardownService,
    private readonly resets: ResetService,
    private readonly events: LabEvents,
    private readonly warmPool: WarmPoolService,
    private readonly gate: HostJobGate,
  ) {
    super();
  }

  /** Provision, reset and teardown of one lab run holding a slot of its host (HostJobGate); `token` lets the gate delay the job. */
  async process(
    job: Job,
    token?: string,
  ): Promise<JobResults[JobName.ProvisionLab] | JobResults[JobName.TeardownLab] | JobResults[JobName.TeardownClass] | JobResults[JobName.ResetLab] | JobResults[JobName.RefillWarmLabs]> {
    switch (job.name) {
      case JobName.ProvisionLab:
        return this.provision(job as Job<JobPayloads[JobName.ProvisionLab]>, token);
      case JobName.ResetLab:
        return this.reset(job as Job<JobPayloads[JobName.ResetLab]>, token);
      case JobName.RefillWarmLabs:
        return this.warmPool.refill();
      case JobName.TeardownLab: {
        const { labId, reason } = (job as Job<JobPayloads[JobName.TeardownLab]>).data;
        return this.gate.run(job, token, labId, false, () => this.teardowns.teardown(labId, reason));
      }
      case JobName.TeardownClass: {
        const { classId, reason } = (job as Job<JobPayloads[JobName.TeardownClass]>).data;
        return this.teardowns.teardownClass(classId, reason);
      }
      default:
        throw new PermanentJobError(`unknown job ${job.name} on queue ${QueueName.Labs}`);
    }
  }

  private async reset(job: Job<JobPayloads[JobName.ResetLab]>, token: string | undefined) {
    const outcome = await this.retryOrFail(job, () => this.gate.run(job, token, job.data.labId, true, () => this.resets.reset(job.data.labId, job.data.replay)));
    const result = 'replayed' in outcome ? outcome : { outcome: 'failed' as const, replayed: [], reason: outcome.reason };
    await this.settled(job.data.labId, result);
    return result;
  }

  private async provision(job: Job<JobPayloads[JobName.ProvisionLab]>, token: string | undefined) {
    const result = await this.retryOrFail(job, () => this.gate.run(job, token, job.data.labId, true, () => this.provisioning.provision(job.data.labId)));
    await this.settled(job.data.labId, result);
    return result;
  }

  /** Tells every process (class progress streams) that the lab became ready or failed; skipped jobs changed nothing. */
  private async settled(labId: string, result: { outcome: 'ready' | 'failed' | 'skipped'; reason?: string }): Promise<void> {
    if (result.outcome === 'skipped') return;
    await this.events.publish({ type: 'lab-status', labId, status: result.outcome, reason: result.reason });
  }

  /** Transient errors are retried with backoff; on the last attempt (or a permanent error) the lab fails cleanly. */
  private async retryOrFail<T>(job: Job<{ labId: string }>, work: () => Promise<T>): Promise<T | JobResults[JobName.ProvisionLab]> {
    try {
      return await work();
    } catch (error) {
      // Back in the queue for its host's slot (HostJobGate): not an attempt.
      if (error instanceof DelayedError) throw error;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (error instanceof PermanentJobError || lastAttempt) return this.provisioning.fail(job.data.labId, error);
      this.logger.warn(`${job.name} ${job.data.labId} attempt ${job.attemptsMade + 1} failed, will retry: ${String(error)}`);
      throw error;
    }
  }
}
