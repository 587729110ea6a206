import type { CheckResult } from '../queue/jobs';
import { answerShapeProblem } from './answers/answer-spec';
import { renderLab, type RenderedLab } from './instructions-renderer';
import type { LabContext } from './lab-context';
import { findStep, type Lang, type LabDefinition, type LabStep } from './lab-definition';
import type { LabValues } from './lab-values';
import { runSolution } from './step-executor';
import { checksReadOnly, runChecks } from './step-verifier';

export type { LabContext, LabImages, LabTimeouts } from './lab-context';
export { labImagesFromConfig } from './lab-context';
export type { LabDefinition, LabStep, Lang } from './lab-definition';
export type { RenderedLab, RenderedStep } from './instructions-renderer';
export { StepRunError } from './step-executor';

export interface StepRunResult {
  step: string;
  /** What running the solution printed, like a terminal session. */
  output: string;
}

export interface StepVerifyResult {
  step: string;
  passed: boolean;
  checks: CheckResult[];
}

/** The step id is not in the definition (the API answers 404 before it gets here). */
export class UnknownStepError extends Error {
  constructor(
    readonly definitionId: string,
    readonly stepId: string,
  ) {
    super(`step ${stepId} not found in ${definitionId}`);
  }
}

/**
 * Runs, verifies and explains the steps of a lab definition against one lab. Stateless:
 * everything about the lab comes in the LabContext, so one instance serves every job.
 */
export class LabRunner {
  /**
   * Executes the step's reference solution in the lab's scope only. Idempotent: running a
   * step twice converges on the same state. Throws StepRunError (with the transcript so
   * far) when an action fails; DockerLayerError 'unreachable'/'engine' pass through.
   */
  async runStep(definition: LabDefinition, stepId: string, ctx: LabContext): Promise<StepRunResult> {
    const step = this.step(definition, stepId);
    return { step: step.id, output: await runSolution(step, ctx) };
  }

  /**
   * Runs every check of the step against the live lab; `passed` when all pass. A check that
   * hangs fails at its deadline. Only an unreachable engine makes this throw.
   */
  async verifyStep(definition: LabDefinition, stepId: string, ctx: LabContext, answer?: unknown, lang: Lang = 'en'): Promise<StepVerifyResult> {
    const step = this.step(definition, stepId);
    const checks = await runChecks(step, ctx, answer, lang);
    return { step: step.id, passed: checks.every((c) => c.passed), checks };
  }

  /** Whether verifying the step only reads the engine (inspect, list; no exec, no HTTP probe). False for an unknown step. */
  verifyReadsOnly(definition: LabDefinition, stepId: string): boolean {
    const step = findStep(definition, stepId);
    return !!step && checksReadOnly(step);
  }

  /** Null when `answer` has the right shape for the step, else a message for a 400. Task steps ignore it. */
  validateAnswer(definition: LabDefinition, stepId: string, answer: unknown): string | null {
    const step = findStep(definition, stepId);
    if (!step) return `step ${stepId} not found in ${definition.id}`;
    return step.answer ? answerShapeProblem(step.id, step.answer, answer) : null;
  }

  /** The lab's instructions with its own values: per step, and as one markdown document. */
  renderInstructions(definition: LabDefinition, values: LabValues, lang: Lang): RenderedLab {
    return renderLab(definition, values, lang);
  }

  private step(definition: LabDefinition, stepId: string): LabStep {
    const step = findStep(definition, stepId);
    if (!step) throw new UnknownStepError(definition.id, stepId);
    return step;
  }
}
