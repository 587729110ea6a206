import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { JobQueue } from '../../../libs/queue/job-queue.service';
import { type JobResults, JobName, PermanentJobError, QueueName } from '../../../libs/queue/jobs';
import { workerOptions } from '../worker-options';
import { LabGuardService } from './lab-guard.service';
import { ReaperService } from './reaper.service';
import { ReconcilerService } from './reconciler.service';

/** Consumes the `maintenance` queue; registers its repeatable jobs when the worker starts. */
@Processor(QueueName.Maintenance, workerOptions(1))
export class MaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly reaper: ReaperService,
    private readonly reconciler: ReconcilerService,
    private readonly guard: LabGuardService,
  ) {
    super();
  }

  private timer?: NodeJS.Timeout;

  /**
   * Registers the repeatable jobs now and again every minute: upserting a scheduler is
   * idempotent, and Redis without persistence forgets them when it restarts.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.schedule();
    this.timer = setInterval(() => void this.schedule().catch(() => undefined), 60_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async schedule(): Promise<void> {
    await this.queue.repeat(JobName.ReapLabs, {}, this.config.REAP_INTERVAL_MS);
    await this.queue.repeat(JobName.Reconcile, {}, this.config.RECONCILE_INTERVAL_MS);
    // Without a pool, the refill only trims what a larger WARM_LABS_PER_HOST left: as often as reconciling.
    await this.queue.repeat(JobName.RefillWarmLabs, {}, this.config.WARM_LABS_PER_HOST > 0 ? this.config.WARM_REFILL_INTERVAL_MS : this.config.RECONCILE_INTERVAL_MS);
  }

  async process(job: Job): Promise<JobResults[JobName.ReapLabs] | JobResults[JobName.Reconcile]> {
    switch (job.name) {
      case JobName.ReapLabs:
        return this.reaper.reap();
      case JobName.Reconcile: {
        const result = await this.reconciler.reconcile();
        // The lab guard rides on the reconcile schedule (it also reads every host): its
        // own job name belongs in libs/queue/jobs.ts when that contract next changes.
        await this.guard.patrol().catch((error: unknown) => new Logger(LabGuardService.name).warn(`patrol failed: ${String(error)}`));
        return result;
      }
      default:
        throw new PermanentJobError(`unknown job ${job.name} on queue ${QueueName.Maintenance}`);
    }
  }
}
