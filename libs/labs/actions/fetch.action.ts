import { z } from 'zod';
import { formatDuration, sleep } from '../deadline';
import { type HttpOutcome, httpGetFromHost, httpGetInContainer, truncationNote } from '../http-probe';
import { HOST_PORTS, hostPortSchema } from '../lab-context';
import { httpTargetSchema, resolveTargetUrl } from '../checks/http-from-container.check';
import { type ActionEnv, type ActionImpl, StepActionError } from './action';

const path = z.string().regex(/^\/[\w\-./]*$/, 'must be a path such as /index.html');
const fromHostSchema = z.object({ do: z.literal('fetch-from-host'), port: hostPortSchema, path }).strict();
const fromContainerSchema = z
  .object({ do: z.literal('fetch-from-container'), container: z.string().min(1), target: httpTargetSchema, port: z.number().int().min(1).max(65535).optional(), path })
  .strict();
export type FetchFromHostAction = z.infer<typeof fromHostSchema>;
export type FetchFromContainerAction = z.infer<typeof fromContainerSchema>;

const RETRY_MS = 500;

/**
 * Fetches until the server answers or `readyMs` passes: a solution GETs a server it has
 * just started, and httpd needs a moment before it listens.
 */
async function untilAnswered(env: ActionEnv, signal: AbortSignal, get: () => Promise<HttpOutcome>): Promise<HttpOutcome> {
  const deadline = Date.now() + env.timeouts.readyMs;
  for (;;) {
    const outcome = await get();
    // 127: no HTTP client in the container; waiting will not install one.
    if (outcome.ok || outcome.exitCode === 127 || Date.now() + RETRY_MS > deadline || signal.aborted) return outcome;
    await sleep(RETRY_MS, signal);
  }
}

function show(env: ActionEnv, url: string, outcome: HttpOutcome): void {
  if (outcome.ok) {
    env.transcript.output(outcome.body, 30);
    if (outcome.truncated) env.transcript.output(truncationNote(outcome).trim());
    return;
  }
  env.transcript.output(outcome.error);
  throw new StepActionError(`GET ${url}: ${outcome.error} (waited ${formatDuration(env.timeouts.readyMs)})`);
}

/** `curl http://<publicHost>:<port>/` from the host, as a student's browser would. */
export const fetchFromHostAction: ActionImpl<FetchFromHostAction> = {
  do: 'fetch-from-host',
  schema: fromHostSchema,
  async run(spec, env, signal) {
    const url = `http://${env.values.publicHost}:${HOST_PORTS[spec.port](env.values)}${spec.path}`;
    env.transcript.command(`curl -s ${url}`);
    show(env, url, await untilAnswered(env, signal, () => httpGetFromHost(url, env.timeouts.httpMs, signal)));
  },
};

/** `docker exec <container> curl -s <url>`, the target given by name or by another container's IP. */
export const fetchFromContainerAction: ActionImpl<FetchFromContainerAction> = {
  do: 'fetch-from-container',
  schema: fromContainerSchema,
  async run(spec, env, signal) {
    const lookup = { container: (name: string) => env.docker.inspectContainer(env.scope, name) };
    const resolved = await resolveTargetUrl(lookup, spec.container, spec.target, spec.port, spec.path);
    if ('problem' in resolved) throw new StepActionError(resolved.problem);
    env.transcript.command(`docker exec ${spec.container} curl -s ${resolved.url}`);
    const get = () => httpGetInContainer(env.docker, env.scope, spec.container, resolved.url, env.timeouts.httpMs);
    show(env, resolved.url, await untilAnswered(env, signal, get));
  },
};
