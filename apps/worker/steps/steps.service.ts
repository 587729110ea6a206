import { Injectable, Logger } from '@nestjs/common';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { LabRunner } from '../../../libs/labs/lab-runner';
import { StepRunError } from '../../../libs/labs/step-executor';
import { ProgressRepository } from '../../../libs/persistence/progress.repository';
import { type JobResults, JobName, PermanentJobError } from '../../../libs/queue/jobs';
import { GradePassbackService } from '../grades/grade-passback.service';
import { LabContextFactory } from './lab-context.factory';

/** Runs and verifies a lab's steps through the lab runner; stores every verification. */
@Injectable()
export class StepsService {
  private readonly logger = new Logger(StepsService.name);
  constructor(
    private readonly contexts: LabContextFactory,
    private readonly catalogue: LabCatalogue,
    private readonly runner: LabRunner,
    private readonly progress: ProgressRepository,
    private readonly grades: GradePassbackService,
  ) {}

  /** A solution that fails part-way answers with its transcript so far and why it stopped. */
  async run(labId: string, stepId: string, options: { duringReset?: boolean } = {}): Promise<JobResults[JobName.RunStep]> {
    const { context, definition } = await this.prepare(labId, options.duringReset);
    try {
      return { ...(await this.runner.runStep(definition, stepId, context)), succeeded: true };
    } catch (error) {
      if (error instanceof StepRunError) return { step: stepId, output: error.output, succeeded: false, error: error.message };
      throw error;
    }
  }

  async verify(labId: string, stepId: string, answer: unknown, lang: 'fr' | 'en' = 'en'): Promise<JobResults[JobName.VerifyStep]> {
    const { context, definition } = await this.prepare(labId);
    const result = await this.runner.verifyStep(definition, stepId, context, answer, lang);
    const attemptId = await this.progress.recordAttempt({ labId, stepId, passed: result.passed, answer, checks: result.checks });
    // The LMS's gradebook (labs opened by an LTI launch); a grade that cannot be queued must not fail the verify.
    if (result.passed) await this.grades.stepPassed(labId).catch((error: unknown) => this.logger.error(`grade of lab ${labId} not queued: ${String(error)}`));
    return { ...result, attemptId };
  }

  private async prepare(labId: string, duringReset = false) {
    const { context, labDefinitionId } = await this.contexts.forLab(labId, duringReset ? 'provisioning' : 'ready');
    const definition = this.catalogue.get(labDefinitionId);
    if (!definition) throw new PermanentJobError(`lab definition ${labDefinitionId} is not loaded`);
    return { context, definition };
  }
}
