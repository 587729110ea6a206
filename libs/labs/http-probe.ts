import type { LabScope, TenantDocker } from '../docker/tenant-docker';
import { formatDuration } from './deadline';

/** The outcome of one HTTP GET, from the host or from inside a container, in words for students. */
export type HttpOutcome =
  | { ok: true; /** Unknown from inside a container: curl -f only says it was not an error. */ status?: number; body: string }
  | { ok: false; timedOut: boolean; error: string; exitCode?: number | null };

const MAX_BODY = 64 * 1024;

/** GET from the machine running the worker (the "host" of the TP), with a timeout. */
export async function httpGetFromHost(url: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
  try {
    const response = await fetch(url, { signal: combined, redirect: 'manual' });
    const body = (await response.text()).slice(0, MAX_BODY);
    return { ok: true, status: response.status, body };
  } catch (error) {
    if (timeout.aborted || signal?.aborted) {
      return { ok: false, timedOut: true, error: `no answer within ${formatDuration(timeoutMs)}` };
    }
    return { ok: false, timedOut: false, error: describeFetchError(error) };
  }
}

function describeFetchError(error: unknown): string {
  // Node's fetch hides the socket error in `cause`: that is the part a student can act on.
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens on that port)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed before an answer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return cause?.message ?? (error instanceof Error ? error.message : String(error));
  }
}

/**
 * The shell script run inside a container: curl if present, else wget; the URL comes as
 * `$1` so it is never spliced into the script. Exit 127 says neither tool is installed.
 */
const FETCH_SCRIPT = [
  'if command -v curl >/dev/null 2>&1; then exec curl -fsS -m "$2" "$1"; fi',
  'if command -v wget >/dev/null 2>&1; then exec wget -q -O - -T "$2" "$1"; fi',
  'echo "neither curl nor wget is installed" >&2; exit 127',
].join('\n');

/** The command a check or a solution runs inside `container` to GET `url`. */
export function fetchCommand(url: string, timeoutMs: number): string[] {
  return ['sh', '-c', FETCH_SCRIPT, 'netlabs-fetch', url, String(Math.max(1, Math.ceil(timeoutMs / 1000)))];
}

/** GET from inside a lab container (curl or wget in it), bounded by `timeoutMs`. */
export async function httpGetInContainer(
  docker: TenantDocker,
  scope: LabScope,
  container: string,
  url: string,
  timeoutMs: number,
): Promise<HttpOutcome> {
  // The exec gets a little longer than curl's own timeout so curl's message wins when the server hangs.
  const result = await docker.exec(scope, container, fetchCommand(url, timeoutMs), { timeoutMs: timeoutMs + 2_000 });
  if (result.timedOut) return { ok: false, timedOut: true, error: `no answer within ${formatDuration(timeoutMs)}`, exitCode: null };
  if (result.exitCode === 0) return { ok: true, body: result.stdout.slice(0, MAX_BODY) };
  const said = (result.stderr || result.stdout).trim().split('\n').slice(-2).join(' ').trim();
  const timedOut = result.exitCode === 28; // curl's "operation timed out"
  if (result.exitCode === 127) {
    return { ok: false, timedOut: false, exitCode: 127, error: `neither curl nor wget is installed in ${container}` };
  }
  return { ok: false, timedOut, exitCode: result.exitCode, error: said || `exit code ${result.exitCode}` };
}
