import { z } from 'zod';
import { formatDuration } from '../deadline';
import { httpGetFromHost, truncationNote } from '../http-probe';
import { HOST_PORTS, hostPortSchema } from '../lab-context';
import type { LabValues } from '../lab-values';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, fail, pass, regexSource, tail } from './check';

const schema = z
  .object({
    type: z.literal('http-from-host'),
    ...checkBaseFields,
    /**
     * One of the lab's allocated host ports, by name. The host is always the lab's
     * publicHost: a definition cannot point the worker at anything else.
     */
    port: hostPortSchema,
    path: z.string().regex(/^\/[\w\-./]*$/, 'must be a path such as /index.html'),
    bodyMatches: regexSource.optional(),
    /** Added to a failure message: what to do (a template). */
    hint: z.string().min(1).optional(),
  })
  .strict();
export type HttpFromHostCheckSpec = z.infer<typeof schema>;

const urlOf = (spec: HttpFromHostCheckSpec, values: LabValues) => `http://${values.publicHost}:${HOST_PORTS[spec.port](values)}${spec.path}`;

/** A GET from the Docker host's public address to a port the lab publishes, as a browser would. */
export const httpFromHostCheck: CheckImpl<HttpFromHostCheckSpec> = {
  type: 'http-from-host',
  schema,
  describe: (spec, env) => checkMessage(env.lang, 'name.http-from-host', { url: urlOf(spec, env.values) }),
  timeoutMessage: (spec, ms, env) => `${urlOf(spec, env.values)}: timed out, no answer within ${formatDuration(ms)}`,
  async run(spec, env, signal) {
    const url = urlOf(spec, env.values);
    const hint = spec.hint ? ` — ${env.render(spec.hint)}` : '';
    const outcome = await httpGetFromHost(url, env.timeouts.httpMs, signal);
    if (!outcome.ok) return fail(`${url}: ${outcome.timedOut ? 'timed out, ' : ''}${outcome.error}${hint}`);
    const status = outcome.status ?? 0;
    if (status < 200 || status >= 300) return fail(`${url}: answered HTTP ${status}, expected 200${hint}`);
    const cut = truncationNote(outcome);
    if (spec.bodyMatches && !new RegExp(spec.bodyMatches, 'i').test(outcome.body)) {
      return fail(`${url}: answered HTTP ${outcome.status} but not with the expected page (no "${spec.bodyMatches}" in "${tail(outcome.body, 3, 120)}")${cut}${hint}`);
    }
    return pass(`${url}: answered HTTP ${outcome.status}${spec.bodyMatches ? ` with the expected page ("${spec.bodyMatches}")` : ''}${cut}`);
  },
};
