import { z } from 'zod';
import { logicalImageSchema } from '../lab-context';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, describeState, fail, pass } from './check';

const schema = z
  .object({
    type: z.literal('container-running'),
    ...checkBaseFields,
    container: z.string().min(1),
    /** Logical image (resolved from configuration); any tag of the same repository passes. */
    image: logicalImageSchema.optional(),
    /** How to start it, shown when it does not exist (a template). */
    startHint: z.string().min(1).optional(),
  })
  .strict();
export type ContainerRunningCheckSpec = z.infer<typeof schema>;

/** `httpd:2.4`, `docker.io/library/httpd:latest` and `httpd` all name the repository `httpd`. */
export function imageRepository(ref: string): string {
  let name = ref.split('@')[0];
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) name = name.slice(0, colon);
  return name.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
}

export function sameImage(actual: string, configured: string): boolean {
  return actual === configured || imageRepository(actual) === imageRepository(configured);
}

/** The container exists, runs, and (when asked) comes from the right image. */
export const containerRunningCheck: CheckImpl<ContainerRunningCheckSpec> = {
  type: 'container-running',
  readsOnly: true,
  schema,
  describe: (spec, env) => checkMessage(env.lang, spec.image ? 'running.name-image' : 'running.name', { container: spec.container, image: spec.image ?? '' }),
  async run(spec, env) {
    const info = await env.container(spec.container);
    const container = spec.container;
    if (!info) {
      const how = spec.startHint ? env.render(spec.startHint) : `docker run --name ${spec.container} ...`;
      return fail(checkMessage(env.lang, 'running.not-found', { container, how }));
    }
    const problems: string[] = [];
    if (!info.running) problems.push(checkMessage(env.lang, 'running.stopped', { container, state: describeState(info) }));
    const want = spec.image ? env.images[spec.image] : undefined;
    if (want && !sameImage(info.image, want)) problems.push(checkMessage(env.lang, 'running.wrong-image', { image: info.image, expected: want }));
    if (problems.length) return fail(checkMessage(env.lang, 'running.problems', { container, problems: problems.join('; ') }));
    return pass(checkMessage(env.lang, 'running.ok', { container, image: info.image }));
  },
};
