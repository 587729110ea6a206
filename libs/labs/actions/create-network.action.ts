import { z } from 'zod';
import type { NetworkInfo, NetworkSpec } from '../../docker/tenant-docker';
import { compareCidr, parseIpv4 } from '../net-compare';
import type { ActionImpl } from './action';
import { shellLine } from './transcript';

const schema = z
  .object({
    do: z.literal('create-network'),
    name: z.string().min(1),
    /** Templates, e.g. `{{chatSubnet}}`. */
    subnet: z.string().min(1),
    gateway: z.string().min(1).optional(),
    ipRange: z.string().min(1).optional(),
    bridgeName: z.string().min(1),
  })
  .strict();
export type CreateNetworkAction = z.infer<typeof schema>;

function sameSettings(info: NetworkInfo, spec: NetworkSpec): boolean {
  const cidrEq = (a: string | undefined, b: string | undefined) => (!a && !b) || (!!a && !!b && compareCidr(a, b).equal);
  const ipEq = (a: string | undefined, b: string | undefined) => (!a && !b) || (!!a && !!b && parseIpv4(a) === parseIpv4(b));
  return cidrEq(info.subnet, spec.subnet) && ipEq(info.gateway, spec.gateway) && cidrEq(info.ipRange, spec.ipRange) && info.bridgeName === spec.bridgeName;
}

export function networkCreateLine(spec: NetworkSpec): string {
  const args = ['docker', 'network', 'create', '--driver', 'bridge', '--subnet', spec.subnet];
  if (spec.gateway) args.push('--gateway', spec.gateway);
  if (spec.ipRange) args.push('--ip-range', spec.ipRange);
  args.push('-o', `com.docker.network.bridge.name=${spec.bridgeName}`, spec.name);
  return shellLine(args);
}

/**
 * Creates the network; one of that name with other settings (a broken attempt) is removed
 * first, with the containers attached to it, so the step converges on the right network.
 */
export const createNetworkAction: ActionImpl<CreateNetworkAction> = {
  do: 'create-network',
  schema,
  async run(action, env) {
    const spec: NetworkSpec = {
      name: action.name,
      subnet: env.render(action.subnet),
      bridgeName: env.render(action.bridgeName),
      ...(action.gateway ? { gateway: env.render(action.gateway) } : {}),
      ...(action.ipRange ? { ipRange: env.render(action.ipRange) } : {}),
    };
    const existing = await env.docker.inspectNetwork(env.scope, spec.name);
    if (existing && sameSettings(existing, spec)) {
      env.transcript.note(`network ${spec.name} already exists with these settings: kept`);
      return;
    }
    if (existing) {
      const attached = existing.containers.map((c) => c.name);
      if (attached.length) {
        env.transcript.command(`docker rm -f ${attached.join(' ')}`);
        for (const name of attached) await env.docker.removeContainer(env.scope, name);
        env.transcript.output(attached.join('\n'));
      }
      env.transcript.command(`docker network rm ${spec.name}`);
      await env.docker.removeNetwork(env.scope, spec.name);
      env.transcript.output(spec.name);
    }
    env.transcript.command(networkCreateLine(spec));
    const created = await env.docker.createNetwork(env.scope, spec);
    env.transcript.output(created.id);
  },
};
