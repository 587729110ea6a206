import { z } from 'zod';
import type { LabScope, TenantDocker } from '../docker/tenant-docker';
import type { LabValues } from './lab-values';

/**
 * Logical image names a lab definition may use. Definitions never hold image references:
 * those are configuration (LAB_IMAGE_*), so CI can point them at offline stand-ins.
 * `mypython2` (step 3c) is not pulled but built on each host from a recipe (ImageRecipe).
 */
export const LOGICAL_IMAGES = ['httpd', 'ubuntu', 'mypython2'] as const;
export const logicalImageSchema = z.enum(LOGICAL_IMAGES);
export type LogicalImage = (typeof LOGICAL_IMAGES)[number];
export type LabImages = Record<LogicalImage, string>;

/** How to build an image that no registry has: a directory with a Dockerfile, and its build args. */
export interface ImageRecipe {
  contextDir: string;
  buildArgs?: Record<string, string>;
}

/** LabImages from the configuration (LAB_IMAGE_HTTPD, LAB_IMAGE_UBUNTU) and the built images' references. */
export function labImagesFromConfig(
  config: { LAB_IMAGE_HTTPD: string; LAB_IMAGE_UBUNTU: string },
  built: { mypython2: string },
): LabImages {
  return { httpd: config.LAB_IMAGE_HTTPD, ubuntu: config.LAB_IMAGE_UBUNTU, mypython2: built.mypython2 };
}

/** Host ports a definition may publish on, by logical name; each is one of the lab's allocations. */
export const HOST_PORTS = { 'httpd-port': (values: LabValues) => values.httpdPort } as const;
export const hostPortSchema = z.enum(Object.keys(HOST_PORTS) as [keyof typeof HOST_PORTS]);
export type HostPortName = keyof typeof HOST_PORTS;

export interface LabTimeouts {
  /** Hard deadline of one check, whatever it does. */
  checkMs: number;
  /** One HTTP request (from the host or from inside a container). */
  httpMs: number;
  /** One command run inside a container by a check. */
  execMs: number;
  /** One solution action (an apt-get install can take a while). */
  actionMs: number;
  /** How long a solution waits for a server it just started to answer. */
  readyMs: number;
}

export const DEFAULT_TIMEOUTS: LabTimeouts = {
  checkMs: 15_000,
  httpMs: 5_000,
  execMs: 10_000,
  actionMs: 180_000,
  readyMs: 15_000,
};

/** Everything the runner needs to act on one lab. Built by the worker per job. */
export interface LabContext {
  scope: LabScope;
  docker: TenantDocker;
  values: LabValues;
  images: LabImages;
  /**
   * Images built rather than pulled, by logical name: a solution that runs a container of
   * one builds it first (once per host: the tenant layer skips a tag that exists).
   */
  imageBuilds?: Partial<Record<LogicalImage, ImageRecipe>>;
  timeouts?: Partial<LabTimeouts>;
}

export function timeoutsOf(ctx: Pick<LabContext, 'timeouts'>): LabTimeouts {
  return { ...DEFAULT_TIMEOUTS, ...ctx.timeouts };
}
