import { z } from 'zod';
import type { ActionImpl } from './action';

const someSchema = z.object({ do: z.literal('remove-containers'), names: z.array(z.string().min(1)).min(1) }).strict();
const allSchema = z.object({ do: z.literal('remove-all-containers') }).strict();
export type RemoveContainersAction = z.infer<typeof someSchema>;
export type RemoveAllContainersAction = z.infer<typeof allSchema>;

/** `docker rm -f <names>`: removing what does not exist is not an error, so solutions can run twice. */
export const removeContainersAction: ActionImpl<RemoveContainersAction> = {
  do: 'remove-containers',
  schema: someSchema,
  async run(spec, env) {
    env.transcript.command(`docker rm -f ${spec.names.join(' ')}`);
    const present = new Set((await env.docker.listContainers(env.scope)).map((c) => c.name));
    for (const name of spec.names) {
      if (!present.has(name)) {
        env.transcript.output(`(no container ${name})`);
        continue;
      }
      await env.docker.removeContainer(env.scope, name);
      env.transcript.output(name);
    }
  },
};

/** Every container of the lab (never another lab's: the layer lists by the lab's label). */
export const removeAllContainersAction: ActionImpl<RemoveAllContainersAction> = {
  do: 'remove-all-containers',
  schema: allSchema,
  async run(_spec, env) {
    env.transcript.command('docker rm -f $(docker ps -aq)');
    const all = await env.docker.listContainers(env.scope);
    for (const container of all) {
      await env.docker.removeContainer(env.scope, container.name);
      env.transcript.output(container.name);
    }
    if (!all.length) env.transcript.output('(no containers)');
  },
};
