import { z } from 'zod';
import { CHAT_PORT, describeTcpFailure, tcpProbeCommand, tcpProbeOutcome } from '../chat-probe';
import { formatDuration } from '../deadline';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, describeState, fail, pass, tail } from './check';

const schema = z
  .object({
    type: z.literal('chat-server'),
    ...checkBaseFields,
    /** The server container, reached by this name from the clients (Docker's DNS on the chat network). */
    server: z.string().min(1),
    /** 5000 when absent. */
    port: z.number().int().min(1).max(65535).optional(),
    /** Containers to connect from, the first running one is used (the clients). */
    from: z.array(z.string().min(1)).min(1),
  })
  .strict();
export type ChatServerCheckSpec = z.infer<typeof schema>;

const CONNECT_MS = 3_000;

/**
 * The chat server accepts TCP connections on its port, from a client container, by the
 * server's name: what a student's `python3 client.py chat_serveur ...` needs. The probe
 * connects and closes without a nickname, which the server neither announces nor relays.
 */
export const chatServerCheck: CheckImpl<ChatServerCheckSpec> = {
  type: 'chat-server',
  schema,
  describe: (spec, env) => checkMessage(env.lang, 'name.chat-server', { address: `${spec.server}:${spec.port ?? CHAT_PORT}` }),
  needs: (spec) => ({ exist: [spec.server] }),
  timeoutMessage: (spec, ms) => `${spec.server}: could not tell whether ${spec.server}:${spec.port ?? CHAT_PORT} accepts connections within ${formatDuration(ms)}`,
  async run(spec, env) {
    const port = spec.port ?? CHAT_PORT;
    const unreachable = (why: string) => fail(`${spec.server}: the chat server is not reachable on ${spec.server}:${port} (${why})`);
    const server = (await env.container(spec.server))!;
    // A stopped container has no name on the network: say so rather than probe (a lookup
    // Docker's DNS cannot answer would be forwarded to the host's resolvers).
    if (!server.running) return unreachable(`container ${spec.server} is ${describeState(server)} — start it with docker start ${spec.server}`);
    const candidates = await Promise.all(spec.from.map((name) => env.container(name)));
    const from = spec.from.find((_, i) => candidates[i]?.running);
    if (!from) return fail(`${spec.server}: cannot check the chat server — none of ${spec.from.join(', ')} is running to connect from`);
    const result = await env.docker.exec(env.scope, from, tcpProbeCommand(spec.server, port, CONNECT_MS), { timeoutMs: CONNECT_MS + env.timeouts.execMs });
    if (result.timedOut) return unreachable(`the connection attempt from ${from} did not finish`);
    const outcome = tcpProbeOutcome(result.exitCode, result.stdout);
    if (!outcome) {
      const said = tail(result.stderr || result.stdout);
      return fail(`${spec.server}: cannot check the chat server from ${from}: python3 failed there (exit code ${result.exitCode}${said ? `: ${said}` : ''}) — the clients should run the mypython2 image`);
    }
    if (outcome.kind !== 'open') {
      const hint = outcome.kind === 'refused' ? ` — is serveur.py running in ${spec.server} (python3 /home/chat/serveur.py)?` : '';
      return unreachable(`${describeTcpFailure(outcome, spec.server, CONNECT_MS)}, from ${from}${hint}`);
    }
    return pass(`${spec.server}: the chat server accepts connections on ${spec.server}:${port} (from ${from})`);
  },
};
