import { z } from 'zod';
import { type TcpProbeOutcome, describeTcpFailure, tcpProbeCommand, tcpProbeOutcome } from '../chat-probe';
import { formatDuration, sleep } from '../deadline';
import { type ActionImpl, StepActionError } from './action';

const schema = z
  .object({
    do: z.literal('wait-for-port'),
    /** The container to connect from (it needs python3). */
    from: z.string().min(1),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
  })
  .strict();
export type WaitForPortAction = z.infer<typeof schema>;

const CONNECT_MS = 1_000;
const RETRY_MS = 300;

/**
 * Waits until `host:port` accepts TCP connections from inside `from`, at most `readyMs`:
 * a server a solution just started needs a moment before it listens, and the step's
 * verification should not race it.
 */
export const waitForPortAction: ActionImpl<WaitForPortAction> = {
  do: 'wait-for-port',
  schema,
  async run(spec, env, signal) {
    const deadline = Date.now() + env.timeouts.readyMs;
    let last: TcpProbeOutcome | undefined;
    for (;;) {
      const result = await env.docker.exec(env.scope, spec.from, tcpProbeCommand(spec.host, spec.port, CONNECT_MS), { timeoutMs: CONNECT_MS + env.timeouts.execMs });
      last = result.timedOut ? { kind: 'timeout' } : tcpProbeOutcome(result.exitCode, result.stdout);
      if (!last) throw new StepActionError(`cannot connect from ${spec.from}: python3 failed there (exit code ${result.exitCode}) ${result.stderr.trim()}`.trim());
      if (last.kind === 'open') {
        env.transcript.note(`${spec.host}:${spec.port} accepts connections (checked from ${spec.from})`);
        return;
      }
      if (Date.now() + RETRY_MS > deadline || signal.aborted) break;
      await sleep(RETRY_MS, signal);
    }
    const why = describeTcpFailure(last, spec.host, CONNECT_MS);
    env.transcript.note(`${spec.host}:${spec.port} does not accept connections from ${spec.from}: ${why}`);
    throw new StepActionError(`${spec.host}:${spec.port} did not accept connections from ${spec.from} within ${formatDuration(env.timeouts.readyMs)} (${why})`);
  },
};
