import { z } from 'zod';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, fail, pass } from './check';

const schema = z
  .object({
    type: z.literal('container-network-mode'),
    ...checkBaseFields,
    container: z.string().min(1),
    /** The container whose network namespace it must share (`--net container:<name>`). */
    sharesWith: z.string().min(1),
  })
  .strict();
export type ContainerNetworkModeCheckSpec = z.infer<typeof schema>;

/** The container was started inside another container's network namespace. */
export const containerNetworkModeCheck: CheckImpl<ContainerNetworkModeCheckSpec> = {
  type: 'container-network-mode',
  readsOnly: true,
  schema,
  describe: (spec, env) => checkMessage(env.lang, 'netmode.name', { container: spec.container, other: spec.sharesWith }),
  needs: (spec) => ({ exist: [spec.container] }),
  async run(spec, env) {
    const info = (await env.container(spec.container))!;
    const target = await env.container(spec.sharesWith);
    const mode = info.networkMode;
    // The layer reports TP names, but an engine name or (short) id is the same container.
    const accepted = new Set([spec.sharesWith, target?.engineName, target?.id, target?.id.slice(0, 12)].filter(Boolean));
    const joined = mode.startsWith('container:') ? mode.slice('container:'.length) : null;
    if (joined !== null && accepted.has(joined)) {
      return pass(checkMessage(env.lang, 'netmode.ok', { container: spec.container, other: spec.sharesWith }));
    }
    const actual =
      joined !== null ? checkMessage(env.lang, 'netmode.shares', { other: joined }) : checkMessage(env.lang, 'netmode.own', { mode: mode || 'none' });
    return fail(checkMessage(env.lang, 'netmode.wrong', { container: spec.container, actual, other: spec.sharesWith }));
  },
};
