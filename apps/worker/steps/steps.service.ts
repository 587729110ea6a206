import { Injectable, Logger } from '@nestjs/common';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { LabRunner } from '../../../libs/labs/lab-runner';
import { StepRunError } from '../../../libs/labs/step-executor';
import { ProgressRepository } from '../../../libs/persistence/progress.repository';
import { type JobResults, JobName, PermanentJobError, type StepJobLab } from '../../../libs/queue/jobs';
import { GradePassbackService } from '../grades/grade-passback.service';
import { LabContextFactory, type LabJobContext } from './lab-context.factory';

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

  /**
   * A solution that fails part-way answers with its transcript so far and why it stopped.
   * The lab is read first (a run changes the lab: never on a lab that is not ready).
   * `lab`: what the API read when it queued the job (its generation must still be the lab's).
   */
  async run(labId: string, stepId: string, options: { duringReset?: boolean; lab?: StepJobLab } = {}): Promise<JobResults[JobName.RunStep]> {
    const { context, definition } = this.prepare(await this.contexts.forLab(labId, options.duringReset ? 'provisioning' : 'ready', options.lab?.generation));
    try {
      return { ...(await this.runner.runStep(definition, stepId, context)), succeeded: true };
    } catch (error) {
      if (error instanceof StepRunError) return { step: stepId, output: error.output, succeeded: false, error: error.message };
      throw error;
    }
  }

  /**
   * Checks the live lab, then stores the attempt in one statement that also makes sure the
   * lab is still ready and the one that was checked. With `lab` (what the API read when it
   * queued the job) nothing is read from the database: checks only read the lab's state.
   */
  async verify(labId: string, stepId: string, answer: unknown, lang: 'fr' | 'en' = 'en', lab?: StepJobLab): Promise<JobResults[JobName.VerifyStep]> {
    const job = lab ? this.contexts.fromJob(labId, lab) : await this.contexts.forLab(labId);
    const { context, definition } = this.prepare(job);
    const result = await this.runner.verifyStep(definition, stepId, context, answer, lang);
    const stored = await this.progress.recordAttempt({ labId, stepId, passed: result.passed, answer, checks: result.checks, generation: job.generation });
    if (stored.attemptId === null) {
      // Not the student's attempt: the lab went away or was reset while it was checked (the API answers 409).
      if (stored.labStatus === null) throw new PermanentJobError(`lab ${labId} not found`);
      if (stored.labStatus !== 'ready') throw new PermanentJobError(`lab ${labId} is ${stored.labStatus}, not ready`);
      throw new PermanentJobError(`lab ${labId} was reset while this step was verified (not ready then): verify again`);
    }
    // The LMS's gradebook (labs opened by an LTI launch); a grade that cannot be queued must not fail the verify.
    if (result.passed) await this.grades.stepPassed(labId).catch((error: unknown) => this.logger.error(`grade of lab ${labId} not queued: ${String(error)}`));
    return { ...result, attemptId: stored.attemptId };
  }

  private prepare({ context, labDefinitionId }: LabJobContext) {
    const definition = this.catalogue.get(labDefinitionId);
    if (!definition) throw new PermanentJobError(`lab definition ${labDefinitionId} is not loaded`);
    return { context, definition };
  }
}
