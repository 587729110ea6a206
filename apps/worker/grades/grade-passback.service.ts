import { Injectable, Logger } from '@nestjs/common';
import { AgsClient, AgsError } from '../../../libs/lti/ags-client';
import { AgsScope, isLearner } from '../../../libs/lti/lti-claims';
import { GradePostRepository } from '../../../libs/persistence/grade-post.repository';
import { Metrics } from '../../../libs/metrics/metrics';
import { LtiRepository } from '../../../libs/persistence/lti.repository';
import { type JobResults, JobName } from '../../../libs/queue/jobs';

type Outcome = JobResults[JobName.PostGrade];

/**
 * Passes a student's score (steps passed / steps total) back to their LMS after each passed
 * step, for labs opened by an LTI launch (GradeScheduler queues each post). Every post is a row (LtiGradePost) whose status the
 * instructor sees in GET /classes/:id/progress: a score the LMS cannot take (a role it does
 * not grade, a revoked deployment, a refusal) is recorded failed with the reason, never dropped.
 * Each try is counted in `netlabs_grade_posts_total{outcome}` (posted, retried, failed).
 */
@Injectable()
export class GradePassbackService {
  private readonly logger = new Logger(GradePassbackService.name);

  constructor(
    private readonly lti: LtiRepository,
    private readonly posts: GradePostRepository,
    private readonly ags: AgsClient,
    private readonly metrics: Metrics,
  ) {}

  /**
   * One try of a post. Throws to have BullMQ try again later (the LMS may take it then);
   * returns the outcome once it is final: sent, or failed with the reason recorded.
   */
  async send(postId: string, lastTry: boolean): Promise<Outcome> {
    const post = await this.posts.find(postId);
    if (!post || post.status !== 'pending') return { outcome: 'skipped', reason: post ? `already ${post.status}` : 'no such post' };
    if (await this.posts.superseded(post)) return this.fail(postId, 'not sent: a later score of this student superseded it');
    const target = await this.lti.gradeTarget(post.labId);
    if (!target) return this.fail(postId, 'the lab has no LTI launch to pass its grade to');
    const { deployment } = target;
    if (deployment.revokedAt) return this.fail(postId, `deployment ${deployment.deploymentId} of ${deployment.platform.issuer} was revoked: NetLabs posts no grade through it`);
    if (!isLearner(target.roles)) return this.fail(postId, `the LMS grades learners only; this student launched with the role(s) ${target.roles.map(shortRole).join(', ') || 'none'}`);
    if (!target.lineItemUrl || !target.scopes.includes(AgsScope.score)) {
      return this.fail(postId, 'the launch gave no line item with the score scope (is the activity graded, and Assignment and Grade Services enabled for the tool?)');
    }
    try {
      await this.ags.postScore(deployment.platform, target.lineItemUrl, {
        userId: target.userId,
        scoreGiven: post.scoreGiven,
        scoreMaximum: post.scoreMaximum,
        activityProgress: post.scoreGiven >= post.scoreMaximum ? 'Completed' : 'InProgress',
        gradingProgress: 'FullyGraded',
        timestamp: new Date().toISOString(),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryable = !(error instanceof AgsError) || error.retryable;
      if (retryable && !lastTry) {
        await this.posts.attempted(postId, { status: 'pending', error: `${message} (will try again)` });
        this.metrics.gradePosts.inc({ outcome: 'retried' });
        throw error;
      }
      return this.fail(postId, message);
    }
    await this.posts.attempted(postId, { status: 'sent' });
    this.metrics.gradePosts.inc({ outcome: 'posted' });
    this.logger.log(`score ${post.scoreGiven}/${post.scoreMaximum} of lab ${post.labId} sent to ${target.lineItemUrl}`);
    return { outcome: 'sent' };
  }

  private async fail(postId: string, reason: string): Promise<Outcome> {
    this.logger.warn(`grade post ${postId} failed: ${reason}`);
    await this.posts.attempted(postId, { status: 'failed', error: reason });
    this.metrics.gradePosts.inc({ outcome: 'failed' });
    return { outcome: 'failed', reason };
  }
}

const shortRole = (role: string) => role.split('#').pop() ?? role;
