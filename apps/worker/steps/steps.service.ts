import { Injectable } from '@nestjs/common';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { LabRunner } from '../../../libs/labs/lab-runner';
import { StepRunError } from '../../../libs/labs/step-executor';
import { type JobResults, JobName, PermanentJobError, type StepJobLab } from '../../../libs/queue/jobs';
import { LabContextFactory, type LabJobContext } from '../../../libs/steps/lab-context.factory';
import { LabChangedError, StepVerification } from '../../../libs/steps/step-verification';

/** Runs and verifies a lab's steps through the lab runner; stores every verification. */
@Injectable()
export class StepsService {
  constructor(
    private readonly contexts: LabContextFactory,
    private readonly catalogue: LabCatalogue,
    private readonly runner: LabRunner,
    private readonly verification: StepVerification,
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
   * Checks the live lab and stores the attempt (StepVerification: the same code the API runs
   * for steps that only read the engine). With `lab` (what the API read when it queued the
   * job) nothing is read from the database: the write makes sure the lab is still ready and
   * the one that was checked.
   */
  async verify(labId: string, stepId: string, answer: unknown, lang: 'fr' | 'en' = 'en', lab?: StepJobLab): Promise<JobResults[JobName.VerifyStep]> {
    const job = lab ? this.contexts.fromJob(labId, lab) : await this.contexts.forLab(labId);
    const { context, definition } = this.prepare(job);
    try {
      return await this.verification.verify({ labId, stepId, answer, lang, definition, context, generation: job.generation });
    } catch (error) {
      // Not the student's attempt: the lab went away or was reset while it was checked (the API answers 409).
      if (error instanceof LabChangedError) throw new PermanentJobError(error.message);
      throw error;
    }
  }

  private prepare({ context, labDefinitionId }: LabJobContext) {
    const definition = this.catalogue.get(labDefinitionId);
    if (!definition) throw new PermanentJobError(`lab definition ${labDefinitionId} is not loaded`);
    return { context, definition };
  }
}
