import { z } from 'zod';
import { type ContainerSpec, DEFAULT_NETWORK } from '../../docker/tenant-docker';
import { HOST_PORTS, hostPortSchema, logicalImageSchema } from '../lab-context';
import type { ActionEnv, ActionImpl } from './action';
import { provideImage } from './build-image.action';
import { shellLine } from './transcript';

const containerSchema = z
  .object({
    name: z.string().min(1),
    image: logicalImageSchema,
    /** A lab network's TP name, or `container:<TP name>` to share that container's namespace. */
    network: z.string().min(1).optional(),
    /** Publishes a container port on one of the lab's allocated host ports. */
    publish: z.object({ containerPort: z.number().int().min(1).max(65535), hostPort: hostPortSchema }).strict().optional(),
    links: z.array(z.object({ container: z.string().min(1), alias: z.string().min(1) }).strict()).optional(),
    cmd: z.array(z.string()).optional(),
    /** `-it`: keeps a shell-like main process (ubuntu's bash) alive in the background. */
    tty: z.boolean().optional(),
  })
  .strict();

const schema = z
  .object({
    do: z.literal('run'),
    container: containerSchema,
    /** Keep the container when it already runs (a step that only needs it up, like 2b for mon-serveur). */
    keepIfRunning: z.boolean().optional(),
  })
  .strict();
export type RunAction = z.infer<typeof schema>;

/** The `docker run` line a student would type for this container. */
export function dockerRunLine(spec: ContainerSpec, tty: boolean): string {
  const args = ['docker', 'run', tty ? '-dit' : '-d', '--name', spec.name];
  if (spec.network && spec.network !== DEFAULT_NETWORK) args.push('--net', spec.network);
  if (spec.publish) args.push('-p', `${spec.publish.hostPort}:${spec.publish.containerPort}`);
  for (const link of spec.links ?? []) args.push('--link', `${link.container}:${link.alias}`);
  args.push(spec.image, ...(spec.cmd ?? []));
  return shellLine(args);
}

export function containerSpecOf(action: RunAction, env: Pick<ActionEnv, 'images' | 'values' | 'render'>): ContainerSpec {
  const c = action.container;
  return {
    name: c.name,
    image: env.images[c.image],
    ...(c.network ? { network: env.render(c.network) } : {}),
    ...(c.publish ? { publish: { containerPort: c.publish.containerPort, hostPort: HOST_PORTS[c.publish.hostPort](env.values) } } : {}),
    ...(c.links ? { links: c.links } : {}),
    ...(c.cmd ? { cmd: c.cmd.map((arg) => env.render(arg)) } : {}),
    ...(c.tty ? { tty: true, openStdin: true } : {}),
  };
}

/**
 * Starts the container afresh: an existing one of that name is removed first, so running
 * a step twice converges to the same state instead of failing on a name conflict.
 */
export const runAction: ActionImpl<RunAction> = {
  do: 'run',
  schema,
  async run(spec, env) {
    const container = containerSpecOf(spec, env);
    const existing = await env.docker.inspectContainer(env.scope, container.name);
    if (existing?.running && spec.keepIfRunning) {
      env.transcript.note(`${container.name} is already running: kept as it is`);
      return;
    }
    if (existing) {
      env.transcript.command(`docker rm -f ${container.name}`);
      await env.docker.removeContainer(env.scope, container.name);
      env.transcript.output(container.name);
    }
    await provideImage(env, spec.container.image);
    env.transcript.command(dockerRunLine(container, !!spec.container.tty));
    const info = await env.docker.runContainer(env.scope, container);
    env.transcript.output(info.id.slice(0, 12));
  },
};
