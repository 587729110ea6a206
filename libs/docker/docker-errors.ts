import { DockerLayerError } from './tenant-docker';

/** What dockerode/docker-modem put on the errors they throw (HTTP status, engine message, socket code). */
interface EngineErrorShape {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
  reason?: string;
  /** ssh2's errors (an ssh:// host) carry a level instead of a status or a socket code. */
  level?: string;
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
  return (!!code && UNREACHABLE_CODES.has(code) && statusOf(err) === undefined) || sshProblem(err) !== null;
}

/**
 * What went wrong reaching an ssh:// host, in words an operator can act on, or null when the
 * error is not ssh2's. ssh2 says only "Host denied (verification failed)" when the machine
 * answering does not present the pinned host key (libs/docker/docker-specs.ts sshOptions).
 */
export function sshProblem(err: unknown): string | null {
  const e = (err ?? {}) as EngineErrorShape;
  const message = String(e.message ?? err);
  if (e.level === 'handshake' && /verification failed/i.test(message)) {
    return 'the SSH host key it presented is not the one pinned in its ssh-host-key.pub (DOCKER_CERT_DIR/<id>/): another machine answers at that address, or the host key changed';
  }
  if (e.level === 'client-authentication') return `its sshd refused NetLabs' key (ssh-key in DOCKER_CERT_DIR/<id>/, or the agent of SSH_AUTH_SOCK): ${message}`;
  if (e.level === 'client-timeout' || e.level === 'handshake' || e.level === 'protocol') return `SSH ${e.level}: ${message}`;
  return null;
}

/** The reason of a failure to reach an engine at all: ssh2's in plain words, else the error's message. */
export function transportMessage(err: unknown): string {
  return sshProblem(err) ?? engineMessage(err);
}

/**
 * Our error for an engine failure. Kinds decided by the caller (conflict on create,
 * image-missing...) are handled there; this covers what is left.
 */
export function toLayerError(hostId: string, what: string, err: unknown): DockerLayerError {
  if (err instanceof DockerLayerError) return err;
  const message = engineMessage(err);
  if (isUnreachable(err)) {
    return new DockerLayerError('unreachable', `Docker host ${hostId} does not answer: ${transportMessage(err)}`);
  }
  const status = statusOf(err);
  if (status === 404) return new DockerLayerError('not-found', `${what}: ${message}`);
  if (status === 409) return new DockerLayerError('conflict', `${what}: ${message}`);
  return new DockerLayerError('engine', `${what} failed on Docker host ${hostId}: ${message}`);
}
