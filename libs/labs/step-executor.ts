import { DockerLayerError } from '../docker/tenant-docker';
import { type ActionEnv, StepActionError } from './actions/action';
import { actionImpl } from './actions/action-registry';
import { Transcript } from './actions/transcript';
import { DeadlineExceeded, formatDuration, withDeadline } from './deadline';
import { type LabContext, timeoutsOf } from './lab-context';
import type { LabStep } from './lab-definition';
import { renderTemplate, templateValues } from './lab-templates';

/**
 * A step's solution that could not be completed. `output` is the transcript up to the
 * failure, so the student (or the lead's logs) see which command failed and what it printed.
 */
export class StepRunError extends Error {
  constructor(
    readonly stepId: string,
    message: string,
    readonly output: string,
    cause?: unknown,
  ) {
    super(`step ${stepId}: ${message}`, { cause });
  }
}

/** Runs the step's solution actions in order, each under its own deadline; returns the transcript. */
export async function runSolution(step: LabStep, ctx: LabContext): Promise<string> {
  const values = templateValues(ctx.values);
  const transcript = new Transcript();
  const timeouts = timeoutsOf(ctx);
  const env: ActionEnv = {
    scope: ctx.scope,
    docker: ctx.docker,
    values: ctx.values,
    images: ctx.images,
    imageBuilds: ctx.imageBuilds ?? {},
    timeouts,
    render: (template) => renderTemplate(template, values),
    transcript,
  };
  for (const action of step.solution) {
    try {
      // A safety net above the exec's own timeout (actionMs), so the exec's clearer message wins when it can.
      const margin = Math.min(5_000, Math.max(100, timeouts.actionMs / 10));
      await withDeadline(timeouts.actionMs + margin, (signal) => actionImpl(action.do).run(action, env, signal));
    } catch (error) {
      if (error instanceof DeadlineExceeded) {
        transcript.output(`(no result after ${formatDuration(timeouts.actionMs)}: stopped waiting)`);
        throw new StepRunError(step.id, `${action.do} did not finish within ${formatDuration(timeouts.actionMs)}`, transcript.toString(), error);
      }
      if (error instanceof StepActionError) throw new StepRunError(step.id, error.message, transcript.toString(), error);
      if (error instanceof DockerLayerError && !['unreachable', 'engine'].includes(error.kind)) {
        // A refusal of the layer (conflict, forbidden, image missing) is the step's outcome, said plainly.
        transcript.output(`Error: ${error.message}`);
        throw new StepRunError(step.id, `${action.do}: ${error.message}`, transcript.toString(), error);
      }
      throw error;
    }
  }
  return transcript.toString();
}
