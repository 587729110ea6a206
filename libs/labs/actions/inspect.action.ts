import { z } from 'zod';
import type { ContainerInfo, NetworkInfo } from '../../docker/tenant-docker';
import { parseCidr } from '../net-compare';
import { type ActionImpl, StepActionError } from './action';

const networkSchema = z.object({ do: z.literal('inspect-network'), name: z.string().min(1) }).strict();
const containerSchema = z.object({ do: z.literal('inspect-container'), name: z.string().min(1) }).strict();
export type InspectNetworkAction = z.infer<typeof networkSchema>;
export type InspectContainerAction = z.infer<typeof containerSchema>;

/** The parts of `docker network inspect` the TP asks about, in Docker's own layout. */
export function networkInspectJson(info: NetworkInfo): string {
  const prefix = info.subnet && parseCidr(info.subnet).ok ? `/${info.subnet.split('/')[1]}` : '';
  const config = { Subnet: info.subnet, IPRange: info.ipRange, Gateway: info.gateway };
  return JSON.stringify(
    [
      {
        Name: info.name,
        Id: info.id,
        Driver: info.driver,
        IPAM: { Driver: 'default', Config: info.subnet ? [config] : [] },
        Containers: Object.fromEntries(info.containers.map((c) => [c.name, { Name: c.name, IPv4Address: c.ipv4 ? `${c.ipv4}${prefix}` : '' }])),
        Options: info.bridgeName ? { 'com.docker.network.bridge.name': info.bridgeName } : {},
      },
    ],
    null,
    4,
  );
}

export function containerInspectJson(info: ContainerInfo): string {
  return JSON.stringify(
    [
      {
        Id: info.id,
        Name: `/${info.name}`,
        State: { Status: info.state, Running: info.running, ExitCode: info.exitCode ?? 0 },
        Config: { Image: info.image },
        HostConfig: { NetworkMode: info.networkMode },
        NetworkSettings: {
          Ports: Object.fromEntries(info.ports.map((p) => [`${p.containerPort}/tcp`, p.hostPort ? [{ HostIp: '0.0.0.0', HostPort: String(p.hostPort) }] : null])),
          Networks: Object.fromEntries(info.networks.map((n) => [n.name, { Aliases: n.aliases, IPAddress: n.ipv4 ?? '' }])),
        },
      },
    ],
    null,
    4,
  );
}

export const inspectNetworkAction: ActionImpl<InspectNetworkAction> = {
  do: 'inspect-network',
  schema: networkSchema,
  async run(spec, env) {
    env.transcript.command(`docker network inspect ${spec.name}`);
    const info = await env.docker.inspectNetwork(env.scope, spec.name);
    if (!info) throw new StepActionError(`network ${spec.name} not found`);
    env.transcript.output(networkInspectJson(info), 200);
  },
};

export const inspectContainerAction: ActionImpl<InspectContainerAction> = {
  do: 'inspect-container',
  schema: containerSchema,
  async run(spec, env) {
    env.transcript.command(`docker inspect ${spec.name}`);
    const info = await env.docker.inspectContainer(env.scope, spec.name);
    if (!info) throw new StepActionError(`container ${spec.name} not found`);
    env.transcript.output(containerInspectJson(info), 200);
  },
};
