import { Injectable, Logger } from '@nestjs/common';
import type { LabContext, LabDefinition, Lang, StepVerifyResult } from '../labs/lab-runner';
import { LabRunner } from '../labs/lab-runner';
import { GradeScheduler } from '../lti/grade-scheduler';
import { ProgressRepository } from '../persistence/progress.repository';

/** The lab went away or was reset while it was checked: nothing was stored (the API answers 409). */
export class LabChangedError extends Error {}

export interface VerifyInput {
  labId: string;
  stepId: string;
  answer: unknown;
  lang: Lang;
  definition: LabDefinition;
  context: LabContext;
  /** The lab's generation when the request came in: a reset since then stores nothing. */
  generation: number;
}

/**
 * The one place a step is verified: its checks run against the live lab (LabRunner, each
 * under its deadline), then the attempt, the step's progress and the lab's activity are
 * stored in one statement that stores nothing unless the lab is still ready and of this
 * generation; a pass queues the lab's grade for its LMS. The worker runs it for every
 * verify-step job; the API runs it itself for steps whose checks only read the engine
 * (README.md, "Lifecycle and faults").
 */
@Injectable()
export class StepVerification {
  private readonly logger = new Logger(StepVerification.name);

  constructor(
    private readonly runner: LabRunner,
    private readonly progress: ProgressRepository,
    private readonly grades: GradeScheduler,
  ) {}

  /** Throws LabChangedError when nothing was stored; DockerLayerError 'unreachable'/'engine' pass through. */
  async verify(input: VerifyInput): Promise<StepVerifyResult & { attemptId: string }> {
    const { labId, stepId, answer } = input;
    const result = await this.runner.verifyStep(input.definition, stepId, input.context, answer, input.lang);
    const stored = await this.progress.recordAttempt({ labId, stepId, passed: result.passed, answer, checks: result.checks, generation: input.generation });
    if (stored.attemptId === null) {
      if (stored.labStatus === null) throw new LabChangedError(`lab ${labId} not found`);
      if (stored.labStatus !== 'ready') throw new LabChangedError(`lab ${labId} is ${stored.labStatus}, not ready`);
      throw new LabChangedError(`lab ${labId} was reset while this step was verified (not ready then): verify again`);
    }
    // The LMS's gradebook (labs opened by an LTI launch); a grade that cannot be queued must not fail the verify.
    if (result.passed && stored.graded) await this.grades.stepPassed(labId).catch((error: unknown) => this.logger.error(`grade of lab ${labId} not queued: ${String(error)}`));
    return { ...result, attemptId: stored.attemptId };
  }
}
