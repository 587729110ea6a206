import { SubnetPool } from '../allocation/address-pool';
import type { AppConfig } from '../config/app-config';

import type { EngineResources } from '../docker/tenant-docker';

export type { EngineResources };

/** Subnets (its bridge, its `chat` network) and host ports (httpd in step 2a) one lab holds. */
export const SUBNETS_PER_LAB = 2;
export const PORTS_PER_LAB = 1;

export type CapacityLimit = 'max-labs' | 'memory' | 'cpu' | 'subnet-pool' | 'unknown';

/** How many labs one host takes, and which of the limits decided it. */
export interface HostCapacity {
  hostId: string;
  labs: number;
  limitedBy: CapacityLimit;
}

export type CapacitySettings = Pick<
  AppConfig,
  'HOST_MAX_LABS' | 'LAB_MEMORY_ESTIMATE_MB' | 'HOST_MEMORY_RESERVE_MB' | 'LABS_PER_CPU' | 'LAB_SUBNET_POOL' | 'LAB_PORT_MIN' | 'LAB_PORT_MAX' | 'ALLOCATION_SCOPE'
>;

/** Labs the address pools can hold: per host (ALLOCATION_SCOPE=host) or for all hosts together (shared). */
export function poolLabs(settings: Pick<CapacitySettings, 'LAB_SUBNET_POOL' | 'LAB_PORT_MIN' | 'LAB_PORT_MAX'>): number {
  const subnets = new SubnetPool(settings.LAB_SUBNET_POOL).size;
  const ports = settings.LAB_PORT_MAX - settings.LAB_PORT_MIN + 1;
  return Math.min(Math.floor(subnets / SUBNETS_PER_LAB), Math.floor(ports / PORTS_PER_LAB));
}

export function maxLabsOf(hostId: string, settings: Pick<CapacitySettings, 'HOST_MAX_LABS'>): number {
  return settings.HOST_MAX_LABS.byHost[hostId] ?? settings.HOST_MAX_LABS.all;
}

/**
 * A host's capacity in labs: the smallest of its HOST_MAX_LABS, its memory (less the
 * reserve) over the per-lab estimate, its CPUs times LABS_PER_CPU and, with per-host
 * allocation, what its subnet and port pools hold (a shared pool is counted over all
 * hosts, in freePlaces). An engine never read (resources null) takes nothing.
 */
export function hostCapacity(hostId: string, resources: EngineResources | null, settings: CapacitySettings): HostCapacity {
  if (!resources) return { hostId, labs: 0, limitedBy: 'unknown' };
  const memoryMb = resources.memoryBytes / (1024 * 1024);
  const limits: [CapacityLimit, number][] = [
    ['max-labs', maxLabsOf(hostId, settings)],
    ['memory', Math.floor(Math.max(0, memoryMb - settings.HOST_MEMORY_RESERVE_MB) / settings.LAB_MEMORY_ESTIMATE_MB)],
    ['cpu', Math.floor(resources.cpus * settings.LABS_PER_CPU)],
  ];
  if (settings.ALLOCATION_SCOPE === 'host') limits.push(['subnet-pool', poolLabs(settings)]);
  const [limitedBy, labs] = limits.reduce((min, limit) => (limit[1] < min[1] ? limit : min));
  return { hostId, labs, limitedBy };
}

/**
 * Live labs (provisioning, ready, destroying; warm ones included) per host id; the key
 * null counts labs not placed yet (queued for provisioning).
 */
export type LiveLabs = Map<string | null, number>;

export interface FreePlaces {
  /** Places left on each host (capacity minus its live labs, never below 0). */
  perHost: Map<string, number>;
  /** Labs that can still be admitted: the hosts' places, less the labs queued and not placed yet, within the shared pool. */
  total: number;
}

/**
 * Places left, from the capacities of the hosts that are up and the live labs. With
 * ALLOCATION_SCOPE=shared the subnet pool is one for all hosts: every live lab holds
 * some of it, whatever its host.
 */
export function freePlaces(capacities: HostCapacity[], live: LiveLabs, settings: Pick<CapacitySettings, 'ALLOCATION_SCOPE' | 'LAB_SUBNET_POOL' | 'LAB_PORT_MIN' | 'LAB_PORT_MAX'>): FreePlaces {
  const perHost = new Map(capacities.map((c) => [c.hostId, Math.max(0, c.labs - (live.get(c.hostId) ?? 0))]));
  let total = [...perHost.values()].reduce((a, b) => a + b, 0) - (live.get(null) ?? 0);
  if (settings.ALLOCATION_SCOPE === 'shared') {
    const allLive = [...live.values()].reduce((a, b) => a + b, 0);
    total = Math.min(total, poolLabs(settings) - allLive);
  }
  return { perHost, total: Math.max(0, total) };
}
