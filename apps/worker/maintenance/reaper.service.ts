import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import { JobQueue } from '../../../libs/queue/job-queue.service';
import { labJobIds } from '../../../libs/queue/job-ids';
import { type JobResults, JobName } from '../../../libs/queue/jobs';

/** Queues the teardown of this deployment's labs past their expiry or idle for too long. */
@Injectable()
export class ReaperService {
  private readonly logger = new Logger(ReaperService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly queue: JobQueue,
  ) {}

  async reap(): Promise<JobResults[JobName.ReapLabs]> {
    const due = await this.labs.findReapable(this.config.DEPLOYMENT_ID);
    for (const lab of due) {
      await this.queue.enqueue(JobName.TeardownLab, { labId: lab.id, reason: lab.reason }, { jobId: labJobIds.teardown(lab, lab.reason) });
    }
    if (due.length) this.logger.log(`reaping ${due.length} labs (${due.map((d) => d.reason).join(', ')})`);
    return { outcome: 'done', reaped: due.length };
  }
}
