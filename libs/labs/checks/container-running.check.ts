import { z } from 'zod';
import { logicalImageSchema } from '../lab-context';
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
  schema,
  describe: (spec) => `container ${spec.container} running${spec.image ? ` (${spec.image})` : ''}`,
  async run(spec, env) {
    const info = await env.container(spec.container);
    const subject = `container ${spec.container}`;
    if (!info) {
      const how = spec.startHint ? env.render(spec.startHint) : `docker run --name ${spec.container} ...`;
      return fail(`${subject}: not found — start it with ${how}`);
    }
    const problems: string[] = [];
    if (!info.running) problems.push(`${describeState(info)}, expected running — start it again (docker start ${spec.container}) or recreate it`);
    const want = spec.image ? env.images[spec.image] : undefined;
    if (want && !sameImage(info.image, want)) problems.push(`image is ${info.image}, expected ${want}`);
    if (problems.length) return fail(`${subject}: ${problems.join('; ')}`);
    return pass(`${subject}: running (${info.image})`);
  },
};
