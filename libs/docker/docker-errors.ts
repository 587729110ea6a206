import { DockerLayerError } from './tenant-docker';

/** What dockerode/docker-modem put on the errors they throw (HTTP status, engine message, socket code). */
interface EngineErrorShape {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
  reason?: string;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function engineMessage(err: unknown): string {
  const e = (err ?? {}) as EngineErrorShape;
  const fromJson = e.json && typeof e.json === 'object' ? e.json.message : undefined;
  return (fromJson ?? e.message ?? String(err)).trim();
}

export function statusOf(err: unknown): number | undefined {
  return (err as EngineErrorShape | null)?.statusCode;
}

export const isNotFound = (err: unknown) => statusOf(err) === 404;

export function isUnreachable(err: unknown): boolean {
  const code = (err as EngineErrorShape | null)?.code;
  return !!code && UNREACHABLE_CODES.has(code) && statusOf(err) === undefined;
}

/**
 * Our error for an engine failure. Kinds decided by the caller (conflict on create,
 * image-missing...) are handled there; this covers what is left.
 */
export function toLayerError(hostId: string, what: string, err: unknown): DockerLayerError {
  if (err instanceof DockerLayerError) return err;
  const message = engineMessage(err);
  if (isUnreachable(err)) {
    return new DockerLayerError('unreachable', `Docker host ${hostId} does not answer: ${message}`);
  }
  const status = statusOf(err);
  if (status === 404) return new DockerLayerError('not-found', `${what}: ${message}`);
  if (status === 409) return new DockerLayerError('conflict', `${what}: ${message}`);
  return new DockerLayerError('engine', `${what} failed on Docker host ${hostId}: ${message}`);
}
