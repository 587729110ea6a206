/**
 * Building blocks for tests on a real engine: a run id, lab scopes labelled with it,
 * subnets, bridge names and host ports nobody else on the engine is using.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import Docker from 'dockerode';
import { ipToInt, type SubnetPool } from '../../libs/allocation/address-pool';
import type { LabScope } from '../../libs/docker/tenant-docker';
import { TEST_LABEL } from './docker-cleanup';

export const newRunId = () => randomBytes(4).toString('hex');

/** A lab scope of this run: unique lab id and prefix, labelled netlabs.test=<runId>. */
export function testScope(runId: string, classId = `class-${runId}`): LabScope {
  const id = randomBytes(3).toString('hex');
  return { labId: `lab-${runId}-${id}`, classId, prefix: `nt-${id}`, labels: { [TEST_LABEL]: runId } };
}

/**
 * Bridge interface names of a run: "nlbt" + 8 hex + counter stays within Linux's 15 characters.
 * "nlb" like lab bridges, so the fence (infra/isolation.sh, by bridge name) keeps them apart as
 * it keeps labs: Docker's own isolation chains lose them whenever another engine on this kernel
 * starts (the tests' engines b and c), and a CI run saw one such lab reach another.
 */
export function bridgeNames(runId: string): () => string {
  let n = 0;
  return () => `nlbt${runId}${(n++).toString(36)}`;
}

/**
 * `count` consecutive /24s of 10.<second>.0.0/16 (10.250 by default) that no network on the
 * engine overlaps, at a random place so that concurrent runs rarely meet. A file that runs
 * beside tenant-docker (which holds its 10.250 ranges for the whole file) takes another /16.
 */
export async function freeSubnets(docker: Docker, count: number, second = 250): Promise<string[]> {
  const used = new Set<number>();
  const inRange = new RegExp(`^10\\.${second}\\.(\\d+)\\.`);
  for (const n of await docker.listNetworks()) {
    for (const c of n.IPAM?.Config ?? []) {
      const m = inRange.exec(c.Subnet ?? '');
      if (m) used.add(Number(m[1]));
    }
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = randomInt(1, 255 - count);
    const thirds = Array.from({ length: count }, (_, i) => start + i);
    if (thirds.every((t) => !used.has(t))) return thirds.map((t) => `10.${second}.${t}.0/24`);
  }
  throw new Error(`no free 10.${second}.x.0/24 range on this engine`);
}

/**
 * Networks of the run created and removed in a loop, one loop per subnet, until stop(), which
 * says how many were created (created(): so far).
 */
export function churnNetworks(docker: Docker, runId: string, subnets: string[]): { created(): number; stop(): Promise<number> } {
  let running = true;
  let created = 0;
  const loops = subnets.map(async (subnet, i) => {
    const Name = `nt-churn-${runId}-${i}`;
    while (running) {
      const network = await docker.createNetwork({ Name, Labels: { [TEST_LABEL]: runId }, IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] } });
      created++;
      await network.remove();
    }
  });
  return {
    created: () => created,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return created;
    },
  };
}

/**
 * The index in `pool` of the first `count` consecutive /24s (aligned on `count`) that no
 * network on the engine overlaps. The test's slice of the pool should be empty when a file
 * starts (files of a slice run one after another); a network found there was left by an
 * earlier file, and is named on stderr so the run shows who left it.
 */
export async function freeBlockOfPool(docker: Docker, pool: SubnetPool, count: number): Promise<number> {
  const ranges = (await docker.listNetworks()).flatMap((n) =>
    (n.IPAM?.Config ?? []).flatMap((c) => {
      const [ip, bits] = (c.Subnet ?? '').split('/');
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip ?? '')) return [];
      const start = ipToInt(ip);
      return [{ start, end: start + 2 ** (32 - Number(bits)) - 1, what: `${n.Name} ${c.Subnet} ${JSON.stringify(n.Labels ?? {})}` }];
    }),
  );
  for (let first = 0; first + count <= pool.size; first += count) {
    const start = ipToInt(pool.subnet(first).split('/')[0]);
    const end = start + count * 256 - 1;
    const holders = ranges.filter((r) => r.start <= end && r.end >= start);
    if (!holders.length) return first;
    console.warn(`subnets ${pool.subnet(first)} +${count} of this file's slice are held by: ${holders.map((h) => h.what).join('; ')}`);
  }
  throw new Error(`no ${count} free /24s in a row in this file's slice of the pool`);
}

/** A TCP port free on the host right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function hostAddress(subnet: string, host: number): string {
  const [a, b, c] = subnet.split('/')[0].split('.');
  return `${a}.${b}.${c}.${host}`;
}

/** The engine, for checking what the layer did from outside the layer. */
export const rawDocker = () => new Docker({ socketPath: '/var/run/docker.sock' });
