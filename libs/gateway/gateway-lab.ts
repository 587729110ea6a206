/**
 * What the gateway knows of the lab a request acts for. The API builds it from the
 * database (apps/api/gateway); the gateway never reads the database itself.
 */
import type { LabLimits } from '../docker/docker-specs';
import type { LabScope } from '../docker/tenant-docker';
import type { LabValues } from '../labs/lab-values';

export interface GatewayLab {
  labId: string;
  hostId: string;
  scope: LabScope;
  values: LabValues;
}

/** Finds a ready lab by id; null when it does not exist or is not ready. */
export interface GatewayLabs {
  findReady(labId: string): Promise<GatewayLab | null>;
}

/** Settings of the gateway, from the configuration. */
export interface GatewaySettings {
  /** Logical image name -> engine reference of the images every lab may use (httpd, ubuntu). */
  sharedImages: Record<string, string>;
  /** Per-container limits and hardening forced on every container and build (libs/docker's). */
  limits: LabLimits;
  /** Images (tags) a lab may own. */
  maxImages: number;
  /** Host address published ports bind to. */
  publishAddress: string;
}

/** Label on containers NetLabs runs for the lab itself (the console): hidden from the student's daemon. */
export const LABEL_ROLE = 'netlabs.role';
/** The bridge interface name a student asked for, shown back to them (the engine's is the lab's own). */
export const LABEL_BRIDGE_ALIAS = 'netlabs.bridge-alias';
