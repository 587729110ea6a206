import type { z } from 'zod';
import type { LabScope, TenantDocker } from '../../docker/tenant-docker';
import type { ImageRecipe, LabImages, LabTimeouts, LogicalImage } from '../lab-context';
import type { LabValues } from '../lab-values';
import type { Transcript } from './transcript';

/** What a solution action can use: the lab's Docker scope, values, and the transcript it writes to. */
export interface ActionEnv {
  scope: LabScope;
  docker: TenantDocker;
  values: LabValues;
  images: LabImages;
  /** Images built on the host from a recipe instead of pulled (see LabContext.imageBuilds). */
  imageBuilds: Partial<Record<LogicalImage, ImageRecipe>>;
  timeouts: LabTimeouts;
  render(template: string): string;
  transcript: Transcript;
}

/** One kind of solution action. Register it in action-registry.ts under its `do`. */
export interface ActionImpl<S extends { do: string }> {
  do: S['do'];
  schema: z.ZodType<S, z.ZodTypeDef, unknown>;
  /** Does the work, writing a terminal-like transcript; throws StepActionError when the step cannot go on. */
  run(spec: S, env: ActionEnv, signal: AbortSignal): Promise<void>;
}

/** A solution action that failed; its message says which command and why. */
export class StepActionError extends Error {}
