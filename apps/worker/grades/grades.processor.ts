import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { type JobPayloads, type JobResults, JobName, PermanentJobError, QueueName } from '../../../libs/queue/jobs';
import { workerOptions } from '../worker-options';
import { GradePassbackService } from './grade-passback.service';

/** Consumes the `grades` queue: scores to LMSs, retried with backoff (GradePassbackService). */
@Processor(QueueName.Grades, { ...workerOptions(1), concurrency: 4 })
export class GradesProcessor extends WorkerHost {
  constructor(private readonly grades: GradePassbackService) {
    super();
  }

  async process(job: Job): Promise<JobResults[JobName.PostGrade]> {
    if (job.name !== JobName.PostGrade) throw new PermanentJobError(`unknown job ${job.name} on queue ${QueueName.Grades}`);
    const { postId } = (job as Job<JobPayloads[JobName.PostGrade]>).data;
    // attemptsMade counts the tries that failed before this one.
    const lastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    return this.grades.send(postId, lastTry);
  }
}
