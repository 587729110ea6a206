import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ExecResult } from '../../docker/tenant-docker';
import { CHAT_CLIENT_PATH, CHAT_PORT, chatDriverCommand, clientLines, connectError, driverStatus } from '../chat-probe';
import { formatDuration } from '../deadline';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, fail, pass, tail } from './check';

const schema = z
  .object({
    type: z.literal('chat-relay'),
    ...checkBaseFields,
    /** The server's name, as the clients reach it. */
    server: z.string().min(1),
    /** 5000 when absent. */
    port: z.number().int().min(1).max(65535).optional(),
    /** The client container that sends the line. */
    sender: z.string().min(1),
    /** The client containers that must receive it. */
    receivers: z.array(z.string().min(1)).min(1),
    /** client.py inside the containers (the TP's /home/chat/client.py when absent). */
    clientPath: z.string().regex(/^\/[\w./-]+$/).optional(),
    /** How long the sender waits for the receivers to be online (5 s when absent). */
    joinMs: z.number().int().min(100).optional(),
    /** How long a receiver waits for the line once everyone is online (5 s when absent). */
    withinMs: z.number().int().min(100).optional(),
  })
  .strict();
export type ChatRelayCheckSpec = z.infer<typeof schema>;

const DEFAULT_WAIT_MS = 5_000;
/** On top of the drivers' own limits: starting python3 and the client, then hanging up. */
const EXEC_MARGIN_MS = 3_000;

interface Probe {
  container: string;
  nick: string;
}

/**
 * A line typed in one client reaches the others through the real server (step 3c). The
 * chat client of each container is driven for real (chat-probe.ts): receivers connect and
 * wait for the line; the sender connects, waits until the server has announced every
 * receiver, then sends a line no one could guess. All run at once; each exec has its own
 * timeout. The probes' nicknames are unique per verification, so two verifications at
 * once (or a student called probe-1) cannot mix their lines up.
 */
export const chatRelayCheck: CheckImpl<ChatRelayCheckSpec> = {
  type: 'chat-relay',
  schema,
  describe: (spec, env) => checkMessage(env.lang, 'name.chat-relay', { sender: spec.sender, receivers: spec.receivers.join(env.lang === 'fr' ? ' et ' : ' and ') }),
  needs: (spec) => ({ running: [spec.sender, ...spec.receivers] }),
  timeoutMessage: (spec, ms) => `message from ${spec.sender}: no result within ${formatDuration(ms)}`,
  async run(spec, env) {
    const port = spec.port ?? CHAT_PORT;
    const joinMs = spec.joinMs ?? DEFAULT_WAIT_MS;
    const withinMs = spec.withinMs ?? DEFAULT_WAIT_MS;
    const run = randomBytes(2).toString('hex');
    const token = `netlabs-check-${randomBytes(6).toString('hex')}`;
    const nickOf = (i: number) => `probe-${run}-${i}`;
    const sender: Probe = { container: spec.sender, nick: nickOf(1) };
    const receivers: Probe[] = spec.receivers.map((container, i) => ({ container, nick: nickOf(i + 2) }));
    // Every driver's exec gets the longest driver's time: each one ends by itself within its own
    // limit, and this only stops one that hangs. A sender whose exec the engine started late
    // (seconds, on a loaded host) got cut at join + margin while it was still working (CI, 2026-11-29).
    const execMs = joinMs + withinMs + EXEC_MARGIN_MS;
    const drive = (probe: Probe, role: 'send' | 'recv', limitMs: number) =>
      env.docker.exec(
        env.scope,
        probe.container,
        chatDriverCommand({
          role,
          clientPath: spec.clientPath ?? CHAT_CLIENT_PATH,
          host: spec.server,
          port,
          nick: probe.nick,
          token,
          sender: sender.nick,
          wanted: role === 'send' ? receivers.map((r) => r.nick) : [],
          limitMs,
        }),
        { timeoutMs: execMs },
      );
    const [sent, ...received] = await Promise.all([
      drive(sender, 'send', joinMs),
      ...receivers.map((r) => drive(r, 'recv', joinMs + withinMs)),
    ]);

    const where = `${spec.server}:${port}`;
    // Problems of a client itself (cannot connect, no python3...) explain everything after them.
    const containerOf = new Map([sender, ...receivers].map((p) => [p.nick, p.container]));
    const receiverProblems = receivers.map((r, i) => problemOf(r, received[i], where, containerOf));
    const senderProblem = problemOf(sender, sent, where, containerOf);
    const missingOnes = driverStatus(sent.stdout)?.startsWith('missing') ?? false;
    const problems = [
      // A sender that waited for receivers that could not connect has no problem of its own.
      ...(senderProblem && !(missingOnes && receiverProblems.some(Boolean)) ? [senderProblem] : []),
      ...receiverProblems.filter((p): p is string => !!p),
    ];
    if (!problems.length) {
      for (const [i, r] of receivers.entries()) {
        if (received[i].exitCode !== 0) problems.push(`message from ${sender.container} did not reach ${r.container} within ${formatDuration(withinMs)}`);
      }
    }
    if (problems.length) return fail(problems.join('; '));
    return pass(`a line typed in ${sender.container} reached ${receivers.map((r) => r.container).join(' and ')} through ${where}`);
  },
};

/** What went wrong with one driven client, in a student's words; null when it connected and its wait simply ended. */
function problemOf(probe: Probe, result: ExecResult, where: string, containerOf: Map<string, string>): string | null {
  if (result.timedOut) return `${probe.container}: the chat client did not finish (still running after its time was up)`;
  if (result.exitCode === 0) return null;
  const out = `${result.stdout}\n${result.stderr}`;
  if (result.exitCode === 127 || /python3: (not found|No such file)|executable file not found/.test(out)) {
    return `${probe.container}: python3 is not installed there — start the clients from the mypython2 image`;
  }
  const noFile = /can't open file '([^']+)'/.exec(out);
  if (noFile) return `${probe.container}: there is no ${noFile[1]} in it — start the clients from the mypython2 image`;
  const refused = connectError(out);
  if (refused) return `${probe.container} could not connect to the chat server ${where}: ${refused}`;
  const status = driverStatus(result.stdout);
  if (status?.startsWith('missing')) {
    const missing = status.slice('missing '.length).split(',').map((nick) => containerOf.get(nick) ?? nick);
    return `${probe.container}: the chat client of ${missing.join(' and ')} never came online on ${where}`;
  }
  if (status === 'timeout') return null;
  const said = tail(clientLines(result.stdout).join('\n') || result.stderr);
  return `${probe.container}: the chat client stopped unexpectedly (exit code ${result.exitCode}${said ? `: ${said}` : ''})`;
}
