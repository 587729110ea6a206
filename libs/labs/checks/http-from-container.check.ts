import { z } from 'zod';
import type { ContainerInfo } from '../../docker/tenant-docker';
import { checkMessage } from '../check-messages';
import { formatDuration } from '../deadline';
import { httpGetInContainer, truncationNote } from '../http-probe';
import { type CheckEnv, type CheckImpl, checkBaseFields, fail, pass, regexSource, tail } from './check';

/** Who to GET: another container by its live IP (looked up at check time), or a host name. */
export const httpTargetSchema = z.union([
  z.object({ ipOf: z.string().min(1) }).strict(),
  z.object({ host: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'must be a host name or an IPv4 address') }).strict(),
]);
export type HttpTarget = z.infer<typeof httpTargetSchema>;

const schema = z
  .object({
    type: z.literal('http-from-container'),
    ...checkBaseFields,
    container: z.string().min(1),
    target: httpTargetSchema,
    port: z.number().int().min(1).max(65535).optional(),
    path: z.string().regex(/^\/[\w\-./]*$/, 'must be a path such as /index.html'),
    bodyMatches: regexSource.optional(),
    hint: z.string().min(1).optional(),
  })
  .strict();
export type HttpFromContainerCheckSpec = z.infer<typeof schema>;

/** The IP `from` should use to reach `target`: on a network they share, else the target's first. */
export function addressFor(target: ContainerInfo, from: ContainerInfo | null): string | undefined {
  const shared = target.networks.find((n) => n.ipv4 && from?.networks.some((m) => m.name === n.name));
  return (shared ?? target.networks.find((n) => n.ipv4))?.ipv4;
}

export async function resolveTargetUrl(
  env: Pick<CheckEnv, 'container'>,
  from: string,
  target: HttpTarget,
  port: number | undefined,
  path: string,
): Promise<{ url: string } | { problem: string }> {
  let host: string;
  if ('ipOf' in target) {
    const info = await env.container(target.ipOf);
    if (!info) return { problem: `container ${target.ipOf} not found, so it has no IP address to fetch` };
    const ip = addressFor(info, await env.container(from));
    if (!ip) return { problem: `container ${target.ipOf} has no IP address (is it running on a network?)` };
    host = ip;
  } else {
    host = target.host;
  }
  return { url: `http://${host}${port && port !== 80 ? `:${port}` : ''}${path}` };
}

const describeTarget = (t: HttpTarget, path: string) => ('ipOf' in t ? `the page at ${t.ipOf}'s IP address` : `http://${t.host}${path}`);

/** A GET run inside a lab container (curl or wget there), with a timeout. */
export const httpFromContainerCheck: CheckImpl<HttpFromContainerCheckSpec> = {
  type: 'http-from-container',
  schema,
  describe: (spec, env) =>
    'ipOf' in spec.target
      ? checkMessage(env.lang, 'name.http-from-container-ip', { container: spec.container, target: spec.target.ipOf })
      : checkMessage(env.lang, 'name.http-from-container', { container: spec.container, url: describeTarget(spec.target, spec.path) }),
  needs: (spec) => ({ running: ['ipOf' in spec.target ? spec.target.ipOf : null, spec.container].filter((c): c is string => !!c) }),
  timeoutMessage: (spec, ms) => `${spec.container}: timed out fetching ${describeTarget(spec.target, spec.path)}, no answer within ${formatDuration(ms)}`,
  async run(spec, env) {
    const subject = spec.container;
    const hint = spec.hint ? ` — ${env.render(spec.hint)}` : '';
    const resolved = await resolveTargetUrl(env, spec.container, spec.target, spec.port, spec.path);
    if ('problem' in resolved) return fail(`${subject}: ${resolved.problem}`);
    const outcome = await httpGetInContainer(env.docker, env.scope, spec.container, resolved.url, env.timeouts.httpMs);
    if (!outcome.ok && outcome.exitCode === 127) {
      return fail(`${subject}: neither curl nor wget is installed — install curl in it: apt-get update && apt-get install -y curl`);
    }
    if (!outcome.ok) return fail(`${subject} could not fetch ${resolved.url}: ${outcome.timedOut ? 'timed out, ' : ''}${outcome.error}${hint}`);
    const cut = truncationNote(outcome);
    if (spec.bodyMatches && !new RegExp(spec.bodyMatches, 'i').test(outcome.body)) {
      return fail(`${subject} fetched ${resolved.url} but not the expected page (no "${spec.bodyMatches}" in "${tail(outcome.body, 3, 120)}")${cut}${hint}`);
    }
    return pass(`${subject} fetched ${resolved.url}${spec.bodyMatches ? ` and got the expected page ("${spec.bodyMatches}")` : ''}${cut}`);
  },
};
