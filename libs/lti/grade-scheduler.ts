import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LabCatalogue } from '../labs/lab-catalogue';
import { GradePostRepository } from '../persistence/grade-post.repository';
import { LabRepository } from '../persistence/lab.repository';
import { LtiRepository } from '../persistence/lti.repository';
import { ProgressRepository } from '../persistence/progress.repository';
import { JobQueue } from '../queue/job-queue.service';
import { JobName } from '../queue/jobs';

/**
 * Queues a lab's new score for its LMS after a passed step (labs opened by an LTI launch):
 * a row (LtiGradePost) and a post-grade job the worker sends (GradePassbackService). Used
 * wherever a verify is stored: the worker, and the API for steps it verifies itself.
 */
@Injectable()
export class GradeScheduler {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lti: LtiRepository,
    private readonly posts: GradePostRepository,
    private readonly progress: ProgressRepository,
    private readonly labs: LabRepository,
    private readonly catalogue: LabCatalogue,
    private readonly queue: JobQueue,
  ) {}

  /** A step of the lab was just passed: its new score goes out (nothing for a lab no LMS launched). */
  async stepPassed(labId: string): Promise<string | null> {
    const target = await this.lti.gradeTarget(labId);
    if (!target) return null;
    const lab = await this.labs.findWithProgress(labId);
    const total = lab ? (this.catalogue.get(lab.labDefinitionId)?.steps.length ?? 0) : 0;
    if (!total) return null;
    const passed = (await this.progress.passedSteps(labId)).length;
    const post = await this.posts.create({ labId, scoreGiven: passed, scoreMaximum: total, lineItemUrl: target.lineItemUrl });
    await this.queue.enqueue(
      JobName.PostGrade,
      { postId: post.id },
      { jobId: `grade-${post.id}`, attempts: this.config.LTI_GRADE_ATTEMPTS, backoff: { type: 'exponential', delay: this.config.LTI_GRADE_BACKOFF_MS } },
    );
    return post.id;
  }
}
