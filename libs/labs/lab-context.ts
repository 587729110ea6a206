import { z } from 'zod';
import type { LabScope, TenantDocker } from '../docker/tenant-docker';
import type { LabValues } from './lab-values';

/**
 * Logical image names a lab definition may use. Definitions never hold image references:
 * those are configuration (LAB_IMAGE_*), so CI can point them at offline stand-ins.
 * A new image (the chat's `mypython2`) is one more key here and in LabImages.
 */
export const LOGICAL_IMAGES = ['httpd', 'ubuntu'] as const;
export const logicalImageSchema = z.enum(LOGICAL_IMAGES);
export type LogicalImage = (typeof LOGICAL_IMAGES)[number];
export type LabImages = Record<LogicalImage, string>;

/** LabImages from the configuration (LAB_IMAGE_HTTPD, LAB_IMAGE_UBUNTU). */
export function labImagesFromConfig(config: { LAB_IMAGE_HTTPD: string; LAB_IMAGE_UBUNTU: string }): LabImages {
  return { httpd: config.LAB_IMAGE_HTTPD, ubuntu: config.LAB_IMAGE_UBUNTU };
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
  timeouts?: Partial<LabTimeouts>;
}

export function timeoutsOf(ctx: Pick<LabContext, 'timeouts'>): LabTimeouts {
  return { ...DEFAULT_TIMEOUTS, ...ctx.timeouts };
}
