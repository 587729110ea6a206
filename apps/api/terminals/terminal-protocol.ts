/**
 * The terminal WebSocket protocol (v1), at `/terminals/<sessionId>?ticket=<ticket>`.
 *
 * Authentication on the upgrade, one of: `Authorization: Bearer <token>`, the query
 * `token=<token>`, or (browsers, which cannot set headers) the subprotocols
 * `netlabs.terminal.v1, netlabs.token.<token>`; the server then selects
 * `netlabs.terminal.v1` and never echoes the token. Refusals are plain HTTP answers
 * with the REST error body (401 no/bad token, 404 unknown session or another lab's,
 * 403 bad, used or expired ticket, 409 lab not ready or container not running,
 * 502 the engine would not start a shell); the connection is never upgraded then.
 * Optional query: `rows`, `cols` (first size), `since` (stream offset the client
 * already has, when reconnecting).
 *
 * Client -> server
 *   binary frame                     bytes typed into the shell
 *   text frame, JSON                 {"type":"input","data":"ls\r"}  same, as text
 *                                    {"type":"resize","rows":40,"cols":120}
 *   Anything else in a text frame (not JSON, unknown type, sizes not integers in range)
 *   is ignored; the session goes on.
 *   Closing with 1000 or with no code ends the session: the shell is killed. Any other
 *   way of going away (1001 page unload, a dropped connection) detaches: the shell keeps
 *   running for TERMINAL_GRACE_MS, and POST /labs/:id/terminals/:sessionId/reconnect
 *   gives a new url to get it back.
 *
 * Server -> client
 *   text frame, first:  {"type":"ready","session":"<id>","container":"container1",
 *                        "offset":N,"lost":false}
 *     `offset` is the stream offset of the first output byte that follows (a client adds
 *     the length of each binary frame to it to know what to ask for with `since`);
 *     `lost` says some output it asked for is no longer held (64 KiB are kept).
 *   binary frame        shell output
 *   A session whose API process died (another process answers, sessions are shared in
 *   Redis): the upgrade is accepted, then closed with 4410 and a line saying so.
 *   Before a close the server ends on a line the user can read in the terminal, e.g.
 *   "\r\n[netlabs] session closed: idle for 15 min\r\n", then closes with a code below.
 */

export const TERMINAL_SUBPROTOCOL = 'netlabs.terminal.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'netlabs.token.';

/** Close codes the server uses; reasons are short words for humans. */
export const CloseCode = {
  /** The shell exited, or the session was ended on request. */
  Normal: 1000,
  /** The API is shutting down. */
  GoingAway: 1001,
  /** The engine failed us mid-session. */
  InternalError: 1011,
  /** The token that opened the session was revoked or rotated (reason: "token revoked" / "token rotated"). */
  AccessRevoked: 4401,
  /** No input for TERMINAL_IDLE_MS. */
  Idle: 4408,
  /** Another connection took this session over (a reconnect from a new page). */
  Replaced: 4409,
  /** The client did not read its output for too long. */
  TooSlow: 4429,
  /**
   * The API process that held this session's shell stopped (crash, machine lost): the shell
   * is gone; open a new terminal. Also 410 on POST .../reconnect.
   */
  OwnerGone: 4410,
} as const;

export const OWNER_GONE_MESSAGE = 'this terminal was lost: the NetLabs server process that ran it stopped; open a new terminal';

/** Closes from the client that mean "I am done": the shell is killed at once. */
export function isDeliberateClose(code: number): boolean {
  return code === 1000 || code === 1005;
}

export type ClientMessage = { type: 'input'; data: string } | { type: 'resize'; rows: number; cols: number };

export const MAX_ROWS = 500;
export const MAX_COLS = 1000;

function isSize(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;
}

/** A text frame as a control message, or null when it is not one (then it is ignored). */
export function parseClientMessage(text: string): ClientMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const message = parsed as Record<string, unknown>;
  if (message.type === 'input' && typeof message.data === 'string') return { type: 'input', data: message.data };
  if (message.type === 'resize' && isSize(message.rows, MAX_ROWS) && isSize(message.cols, MAX_COLS)) {
    return { type: 'resize', rows: message.rows, cols: message.cols };
  }
  return null;
}

/** A size from the upgrade query, or the fallback when absent or not a sane integer. */
export function sizeParam(raw: string | null, max: number, fallback: number): number {
  const value = raw === null ? NaN : Number(raw);
  return isSize(value, max) ? value : fallback;
}

/** "15 min", "90 s": how long, in the words of the closing line. */
export function humanDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 1000)} s`;
  return `${ms} ms`;
}

/** A line shown in the user's terminal, set apart from the shell's output. */
export function noticeLine(text: string): Buffer {
  return Buffer.from(`\r\n[netlabs] ${text}\r\n`);
}
