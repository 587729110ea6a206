import { z } from 'zod';
import type { NetworkInfo } from '../../docker/tenant-docker';
import { ENGINE_NETWORK_NAMES } from '../answers/answer-facts';
import type { ActionImpl } from './action';

const schema = z.object({ do: z.literal('list-networks') }).strict();
export type ListNetworksAction = z.infer<typeof schema>;

/** A `docker network ls` table of what the lab sees: its own networks (TP names), then host and none. */
export function networkTable(networks: NetworkInfo[]): string {
  const rows = [
    ...networks.map((n) => ({ id: n.id.slice(0, 12), name: n.name, driver: n.driver, scope: 'local' })),
    // The engine's own host and none exist on every host; their ids are the host's, not the lab's.
    ...ENGINE_NETWORK_NAMES.map((name) => ({ id: '(shared)', name, driver: name === 'none' ? 'null' : name, scope: 'local' })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const header = { id: 'NETWORK ID', name: 'NAME', driver: 'DRIVER', scope: 'SCOPE' };
  const width = (key: 'id' | 'name' | 'driver') => Math.max(...[header, ...rows].map((r) => r[key].length)) + 3;
  const line = (r: typeof header) => `${r.id.padEnd(width('id'))}${r.name.padEnd(width('name'))}${r.driver.padEnd(width('driver'))}${r.scope}`;
  return [header, ...rows].map(line).join('\n');
}

export const listNetworksAction: ActionImpl<ListNetworksAction> = {
  do: 'list-networks',
  schema,
  async run(_spec, env) {
    env.transcript.command('docker network ls');
    env.transcript.output(networkTable(await env.docker.listNetworks(env.scope)));
  },
};
