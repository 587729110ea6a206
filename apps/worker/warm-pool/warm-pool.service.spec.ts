import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../libs/config/app-config';
import type { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import type { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import type { WarmLabRef, WarmLabRepository } from '../../../libs/persistence/warm-lab.repository';
import type { JobQueue } from '../../../libs/queue/job-queue.service';
import type { HostPlacementService } from '../provisioning/host-placement.service';
import type { HostCapacityService } from '../../../libs/placement/host-capacity.service';
import { WARM_PROVISION_PRIORITY, WarmPoolService } from './warm-pool.service';

type Plan = { created: WarmLabRef[]; trimmed: WarmLabRef[] };

function setup(target: number, plans: Record<string, Plan>, down: string[] = []) {
  const asked: [string, string, number, string][] = [];
  const queued: [string, unknown, Record<string, unknown>][] = [];
  const hosts = { ids: () => Object.keys(plans) } as unknown as DockerHostPool;
  const placement = { isDown: async (id: string) => down.includes(id) } as unknown as HostPlacementService;
  const warm = {
    topUpOrTrim: async (pool: string, hostId: string, hostTarget: number, definition: string) => {
      asked.push([pool, hostId, hostTarget, definition]);
      return plans[hostId];
    },
  } as unknown as WarmLabRepository;
  const queue = {
    enqueue: async (name: string, data: unknown, options: Record<string, unknown>) => {
      queued.push([name, data, options]);
      return 'job';
    },
  } as unknown as JobQueue;
  const catalogue = { list: () => [{ id: 'docker-network' }] } as unknown as LabCatalogue;
  const config = { WARM_LABS_PER_HOST: target, DEPLOYMENT_ID: 'd1' } as AppConfig;
  return { sut: new WarmPoolService(config, hosts, placement, warm, queue, catalogue, { capacities: async () => [] } as unknown as HostCapacityService), asked, queued };
}

describe('WarmPoolService', () => {
  it('asks every host for its target and queues the new labs after students\' labs, the trimmed ones for teardown', async () => {
    const { sut, asked, queued } = setup(2, {
      a: { created: [{ id: 'l1', generation: 0 }], trimmed: [] },
      b: { created: [], trimmed: [{ id: 'l2', generation: 0 }] },
    });
    expect(await sut.refill()).toEqual({ outcome: 'done', created: 1, trimmed: 1 });
    expect(asked).toEqual([
      ['d1', 'a', 2, 'docker-network'],
      ['d1', 'b', 2, 'docker-network'],
    ]);
    expect(queued).toEqual([
      ['provision-lab', { labId: 'l1' }, { jobId: 'provision-l1-g0', priority: WARM_PROVISION_PRIORITY }],
      ['teardown-lab', { labId: 'l2', reason: 'trimmed' }, { jobId: 'teardown-l2-g0-trimmed' }],
    ]);
  });

  it('leaves a host marked down as it is: no new warm lab there, none of its warm labs trimmed', async () => {
    const { sut, asked, queued } = setup(3, { a: { created: [], trimmed: [] }, b: { created: [{ id: 'l3', generation: 0 }], trimmed: [{ id: 'l4', generation: 0 }] } }, ['b']);
    expect(await sut.refill()).toEqual({ outcome: 'done', created: 0, trimmed: 0 });
    expect(asked.map(([, host, target]) => [host, target])).toEqual([['a', 3]]);
    expect(queued).toEqual([]);
  });
});
