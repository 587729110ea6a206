import type { LabScope, TenantDocker } from '../docker/tenant-docker';
import { formatDuration } from './deadline';

/**
 * The most of a page a check or a solution reads. Reading stops there, on the host and
 * inside containers: a student's 400 MB index.html (or a server that never stops
 * sending) costs a worker this much, not the whole page and its full timeout.
 */
export const HTTP_BODY_LIMIT = 64 * 1024;

/** The outcome of one HTTP GET, from the host or from inside a container, in words for students. */
export type HttpOutcome =
  | {
      ok: true;
      /** Unknown from inside a container: curl -f only says it was not an error. */
      status?: number;
      body: string;
      /** The page was longer than HTTP_BODY_LIMIT: `body` is its beginning only. */
      truncated?: boolean;
    }
  | { ok: false; timedOut: boolean; error: string; exitCode?: number | null };

/** Said after a result obtained from a truncated page. */
export function truncationNote(outcome: HttpOutcome): string {
  return outcome.ok && outcome.truncated ? ` (the page is larger than ${HTTP_BODY_LIMIT / 1024} KiB: only its first ${HTTP_BODY_LIMIT / 1024} KiB were read)` : '';
}

/** GET from the machine running the worker (the "host" of the TP), with a timeout. */
export async function httpGetFromHost(url: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
  try {
    const response = await fetch(url, { signal: combined, redirect: 'manual' });
    const { body, truncated } = await readAtMost(response, HTTP_BODY_LIMIT);
    return { ok: true, status: response.status, body, ...(truncated ? { truncated } : {}) };
  } catch (error) {
    if (timeout.aborted || signal?.aborted) {
      return { ok: false, timedOut: true, error: `no answer within ${formatDuration(timeoutMs)}` };
    }
    return { ok: false, timedOut: false, error: describeFetchError(error) };
  }
}

/** Reads up to `limit` bytes of the body, then cancels the rest (the connection closes). */
async function readAtMost(response: Response, limit: number): Promise<{ body: string; truncated: boolean }> {
  if (!response.body) return { body: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
      if (size > limit) {
        truncated = true;
        break;
      }
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return { body: decodeAtMost(Buffer.concat(chunks), limit), truncated };
}

/** The first `limit` bytes as text; a character cut in half at the end is dropped. */
function decodeAtMost(bytes: Buffer, limit: number): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, limit), { stream: true });
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
 * The body goes through `head -c` so the client stops (write error) once `$3` bytes
 * passed: the exec stream then carries a bounded page, not a 400 MB one for the full
 * timeout. The client's own exit code is passed out of the pipeline on fd 3 (POSIX sh
 * has no pipefail). Without head (never seen, but images vary) the page is not capped here;
 * the exec layer still keeps at most 1 MB of it.
 */
const FETCH_SCRIPT = [
  'get() {',
  '  if command -v curl >/dev/null 2>&1; then curl -fsS -m "$2" "$1"; return; fi',
  '  if command -v wget >/dev/null 2>&1; then wget -q -O - -T "$2" "$1"; return; fi',
  '  echo "neither curl nor wget is installed" >&2; return 127',
  '}',
  'command -v head >/dev/null 2>&1 || { get "$1" "$2"; exit; }',
  'exec 4>&1',
  'code=$( { { get "$1" "$2"; echo $? >&3; } | head -c "$3" >&4; } 3>&1 )',
  'exit "$code"',
].join('\n');

/** The command a check or a solution runs inside `container` to GET `url`; it prints one byte past the limit, to tell a page cut. */
export function fetchCommand(url: string, timeoutMs: number): string[] {
  return ['sh', '-c', FETCH_SCRIPT, 'netlabs-fetch', url, String(Math.max(1, Math.ceil(timeoutMs / 1000))), String(HTTP_BODY_LIMIT + 1)];
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
  const bytes = Buffer.from(result.stdout, 'utf8');
  // More than the limit came out: the page was cut, and curl stopped on the closed pipe (exit 23), which is no failure.
  if (bytes.length > HTTP_BODY_LIMIT) return { ok: true, body: decodeAtMost(bytes, HTTP_BODY_LIMIT), truncated: true };
  if (result.timedOut) return { ok: false, timedOut: true, error: `no answer within ${formatDuration(timeoutMs)}`, exitCode: null };
  if (result.exitCode === 0) return { ok: true, body: result.stdout };
  const said = (result.stderr || result.stdout).trim().split('\n').slice(-2).join(' ').trim();
  const timedOut = result.exitCode === 28; // curl's "operation timed out"
  if (result.exitCode === 127) {
    return { ok: false, timedOut: false, exitCode: 127, error: `neither curl nor wget is installed in ${container}` };
  }
  return { ok: false, timedOut, exitCode: result.exitCode, error: said || `exit code ${result.exitCode}` };
}
