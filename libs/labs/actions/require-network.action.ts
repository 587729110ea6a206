import { z } from 'zod';
import { type ActionImpl, StepActionError } from './action';

const schema = z
  .object({
    do: z.literal('require-network'),
    name: z.string().min(1),
    /** What to do when it is missing, e.g. "do step 3b first" (a template). */
    hint: z.string().min(1),
  })
  .strict();
export type RequireNetworkAction = z.infer<typeof schema>;

/** Stops the solution with the hint when the network an earlier step creates is missing. */
export const requireNetworkAction: ActionImpl<RequireNetworkAction> = {
  do: 'require-network',
  schema,
  async run(spec, env) {
    env.transcript.command(`docker network inspect --format '{{.Name}}' ${spec.name}`);
    const info = await env.docker.inspectNetwork(env.scope, spec.name);
    if (!info) {
      env.transcript.output(`Error: No such network: ${spec.name}`);
      throw new StepActionError(`network ${spec.name} does not exist — ${env.render(spec.hint)}`);
    }
    env.transcript.output(info.name);
  },
};
