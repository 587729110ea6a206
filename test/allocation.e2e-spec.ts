/**
 * Allocation on the real Postgres (one statement per lab, the unique constraints as the
 * guarantee) and provisioning's answer to a subnet the engine refuses, on the real engine.
 * The services run in this process, with an allocation domain (host id) of their own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HostPlacementService } from '../apps/worker/provisioning/host-placement.service';
import { HostCapacityService } from '../libs/placement/host-capacity.service';
import { LabAllocatorService } from '../apps/worker/provisioning/lab-allocator.service';
import { LabConsoleService } from '../apps/worker/provisioning/lab-console.service';
import { ProvisioningService } from '../apps/worker/provisioning/provisioning.service';
import { SubnetPool } from '../libs/allocation/address-pool';
import { bridgeInterfaceName, chatInterfaceName, Purpose } from '../libs/allocation/lab-resources';
import { type AppConfig, loadConfig } from '../libs/config/app-config';
import { DockerHostPool, dockerodeFactory } from '../libs/docker/docker-host-pool';
import { AllocationRepository, BLOCK_HOURS, PoolExhaustedError, type LabClaim } from '../libs/persistence/allocation.repository';
import { ClassRepository } from '../libs/persistence/class.repository';
import { HostRepository } from '../libs/persistence/host.repository';
import { LabRepository } from '../libs/persistence/lab.repository';
import { PrismaService } from '../libs/persistence/prisma.service';
import { removeTestObjects, TEST_LABEL } from './support/docker-cleanup';
import { freeBlockOfPool, newRunId, rawDocker } from './support/docker-fixtures';

const runId = newRunId();
const docker = rawDocker();
const config: AppConfig = loadConfig({
  ...process.env,
  ADMIN_TOKEN: `admin-${runId}-0123456789abcdef`,
  DEPLOYMENT_ID: `test-${runId}`,
  LAB_LABELS: `${TEST_LABEL}=${runId}`,
});
// Three clients: claims race across connections as they would across worker processes.
const clients = [new PrismaService(config), new PrismaService(config), new PrismaService(config)];
const prisma = clients[0];
const repos = clients.map((c) => new AllocationRepository(c));
const classes = new ClassRepository(prisma);
const hostIds: string[] = [];
const classIds: string[] = [];

async function newLabs(n: number): Promise<{ id: string; classId: string; prefix: string }[]> {
  const students = Array.from({ length: n }, (_, i) => ({ externalId: `s${i}`, tokenHash: `${runId}-${classIds.length}-${i}`, labPrefix: `nl-${runId.slice(0, 4)}${classIds.length}${i.toString(36)}` }));
  const created = await classes.createWithLabs({
    name: `alloc ${runId}`,
    labDefinitionId: 'docker-network',
    labTtlMinutes: 30,
    idleMinutes: 30,
    settings: { runPolicy: 'always', runAfterFailures: 0, language: 'en' },
    students,
    // No warm pool: every lab is a new row with the prefix given.
    warmPool: null,
    deployment: config.DEPLOYMENT_ID,
  });
  classIds.push(created.class.id);
  return created.labs.map(({ lab }, i) => ({ id: lab.id, classId: created.class.id, prefix: students[i].labPrefix }));
}

function domain(name: string): string {
  const id = `${name}-${runId}`;
  hostIds.push(id);
  return id;
}

const claimFor = (labId: string, hostId: string, over: Partial<LabClaim> = {}): LabClaim => ({
  labId,
  hostId,
  subnetBase: '10.200.0.0',
  subnetCount: 64,
  portMin: 40000,
  portMax: 40099,
  subnetStart: 0,
  portStart: 0,
  ...over,
});

afterAll(async () => {
  await removeTestObjects(runId);
  await prisma.allocation.deleteMany({ where: { OR: [{ hostId: { in: hostIds } }, { lab: { classId: { in: classIds } } }] } });
  await prisma.allocationBlock.deleteMany({ where: { hostId: { in: hostIds } } });
  await prisma.lab.updateMany({ where: { classId: { in: classIds } }, data: { status: 'destroyed', destroyedAt: new Date(), endReason: 'deleted' } });
  await prisma.class.updateMany({ where: { id: { in: classIds } }, data: { deletedAt: new Date() } });
  await Promise.all(clients.map((c) => c.$disconnect()));
});

describe('AllocationRepository.claimLab on the real database', () => {
  it('gives 30 labs claiming at once, all scanning from the same place, distinct subnets, bridge names and ports', async () => {
    const hostId = domain('race');
    const labs = await newLabs(30);
    const results = await Promise.all(labs.map((lab, i) => repos[i % repos.length].claimLab(claimFor(lab.id, hostId), 30)));
    for (const rows of results) expect(rows.map((r) => r.purpose).sort()).toEqual(Object.values(Purpose).sort());
    const all = results.flat();
    const of = (purpose: string) => all.filter((r) => r.purpose === purpose).map((r) => r.value);
    const subnets = [...of(Purpose.BridgeSubnet), ...of(Purpose.ChatSubnet)];
    expect(new Set(subnets).size).toBe(60);
    expect(new Set([...of(Purpose.BridgeInterface), ...of(Purpose.ChatInterface)]).size).toBe(60);
    expect(new Set(of(Purpose.HttpdPort)).size).toBe(30);
    const pool = new SubnetPool('10.200.0.0/18');
    for (const subnet of subnets) expect(pool.indexOf(subnet)).toBeLessThan(64);
    for (const port of of(Purpose.HttpdPort)) expect(Number(port)).toBeGreaterThanOrEqual(40000);
    // The names SQL derives are the ones the TypeScript rule gives.
    for (const rows of results) {
      const get = (p: string) => rows.find((r) => r.purpose === p)!.value;
      expect(get(Purpose.BridgeInterface)).toBe(bridgeInterfaceName(get(Purpose.BridgeSubnet)));
      expect(get(Purpose.ChatInterface)).toBe(chatInterfaceName(get(Purpose.ChatSubnet)));
    }
    expect(await prisma.allocation.count({ where: { hostId } })).toBe(150);
  });

  it('is idempotent per lab and fills only what is missing', async () => {
    const hostId = domain('again');
    const [lab] = await newLabs(1);
    const first = await repos[0].claimLab(claimFor(lab.id, hostId, { subnetStart: 5, portStart: 7 }));
    expect(first.find((r) => r.purpose === Purpose.BridgeSubnet)?.value).toBe('10.200.5.0/24');
    expect(first.find((r) => r.purpose === Purpose.HttpdPort)?.value).toBe('40007');
    const again = await repos[1].claimLab(claimFor(lab.id, hostId, { subnetStart: 40, portStart: 40 }));
    expect(sorted(again)).toEqual(sorted(first));
    await prisma.allocation.deleteMany({ where: { labId: lab.id, purpose: { in: [Purpose.ChatInterface, Purpose.HttpdPort] } } });
    const filled = await repos[2].claimLab(claimFor(lab.id, hostId, { subnetStart: 40, portStart: 40 }));
    expect(filled.find((r) => r.purpose === Purpose.ChatInterface)?.value).toBe(first.find((r) => r.purpose === Purpose.ChatInterface)?.value);
    expect(filled.find((r) => r.purpose === Purpose.HttpdPort)?.value).toBe('40040');
    expect(await prisma.allocation.count({ where: { labId: lab.id } })).toBe(5);
  });

  it('skips blocked subnets while the block is recent, and says what ran out', async () => {
    const hostId = domain('blocked');
    const [a, b, c] = await newLabs(3);
    const repo = repos[0];
    await repo.blockSubnet(hostId, '10.200.0.0/24', 'test: held by a foreign network');
    await repo.blockSubnet(hostId, '10.200.1.0/24', 'test: held by a foreign network');
    const rows = await repo.claimLab(claimFor(a.id, hostId, { subnetCount: 4 }));
    expect(rows.filter((r) => r.purpose.endsWith('-subnet')).map((r) => r.value).sort()).toEqual(['10.200.2.0/24', '10.200.3.0/24']);
    await expect(repo.claimLab(claimFor(b.id, hostId, { subnetCount: 4 }))).rejects.toThrow(PoolExhaustedError);
    await expect(repo.claimLab(claimFor(b.id, hostId, { subnetCount: 4 }))).rejects.toThrow(/bridge-subnet, chat-subnet/);
    // Nothing half-claimed by the refused lab.
    expect(await prisma.allocation.count({ where: { labId: b.id } })).toBe(0);
    // An old block no longer holds the subnet back.
    await prisma.allocationBlock.updateMany({ where: { hostId }, data: { blockedAt: new Date(Date.now() - (BLOCK_HOURS + 1) * 3_600_000) } });
    const later = await repo.claimLab(claimFor(c.id, hostId, { subnetCount: 4 }));
    expect(later.filter((r) => r.purpose.endsWith('-subnet')).map((r) => r.value).sort()).toEqual(['10.200.0.0/24', '10.200.1.0/24']);
  });
});

describe('provisioning when the engine refuses the subnet', () => {
  const socketDir = mkdtempSync(path.join(tmpdir(), 'nl-alloc-'));
  let foreignId = '';
  let pool: SubnetPool;

  beforeAll(async () => {
    // Eight /24s of the file's own slice of the pool (test/support/worker-slice.ts) that no network holds.
    const slice = new SubnetPool(config.LAB_SUBNET_POOL);
    const first = await freeBlockOfPool(docker, slice, 8);
    pool = new SubnetPool(`${slice.subnet(first).split('/')[0]}/21`);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    if (foreignId) await docker.getNetwork(foreignId).remove().catch(() => undefined);
    rmSync(socketDir, { recursive: true, force: true });
  });

  it('blocks a subnet a foreign network holds and gives the lab another one in the same job', async () => {
    const hostId = domain('clash');
    const base = pool.subnet(0);
    const local: AppConfig = {
      ...config,
      DOCKER_HOSTS: [{ id: hostId, endpoint: 'unix:///var/run/docker.sock' }],
      LAB_SUBNET_POOL: `${base.split('/')[0]}/21`,
      ALLOCATION_SCOPE: 'host',
      LAB_IMAGE_PULL: false,
      GATEWAY_SOCKET: path.join(socketDir, 'gateway.sock'),
    };
    const hosts = new DockerHostPool(local.DOCKER_HOSTS, { memoryMb: local.LAB_MEMORY_MB, cpus: local.LAB_CPUS, pids: local.LAB_PIDS, maxContainers: local.LAB_MAX_CONTAINERS, diskMb: local.LAB_DISK_MB, logMb: local.LAB_LOG_MB, publishAddress: local.LAB_PUBLISH_ADDRESS }, dockerodeFactory({ pull: false }));
    const labs = new LabRepository(prisma);
    const allocations = new AllocationRepository(prisma);
    const sut = new ProvisioningService(
      local,
      labs,
      allocations,
      hosts,
      new HostPlacementService(local, hosts, labs, new HostRepository(prisma, local), new HostCapacityService(local, hosts, new HostRepository(prisma, local))),
      new LabAllocatorService(local, allocations),
      new LabConsoleService(local, hosts),
    );
    const [first, second] = await newLabs(2);
    // Not a lab's: no netlabs.lab label. It holds the first /24 of the pool.
    foreignId = (await docker.createNetwork({ Name: `foreign-${runId}`, Driver: 'bridge', Labels: { [TEST_LABEL]: runId }, IPAM: { Driver: 'default', Config: [{ Subnet: base }] } })).id;
    // Every scan starts at the pool's first /24: the one the foreign network holds.
    vi.spyOn(Math, 'random').mockReturnValue(0);

    expect(await sut.provision(first.id)).toEqual({ outcome: 'ready' });
    const values = await allocations.forLab(first.id);
    const bridgeSubnet = values.find((v) => v.purpose === Purpose.BridgeSubnet)?.value;
    expect(bridgeSubnet).toBe(pool.subnet(1));
    const networks = await docker.listNetworks({ filters: { label: [`netlabs.lab=${first.id}`] } });
    expect(networks.map((n) => n.IPAM?.Config?.[0]?.Subnet)).toEqual([pool.subnet(1)]);
    const blocks = await prisma.allocationBlock.findMany({ where: { hostId } });
    expect(blocks.map((b) => b.value)).toEqual([base]);
    expect(blocks[0].reason).toContain(`foreign-${runId}`);

    // The next lab does not try the blocked subnet again.
    expect(await sut.provision(second.id)).toEqual({ outcome: 'ready' });
    const next = (await allocations.forLab(second.id)).find((v) => v.purpose === Purpose.BridgeSubnet)?.value;
    expect(next).toBe(pool.subnet(3));
    expect(await prisma.allocationBlock.count({ where: { hostId } })).toBe(1);

    for (const lab of [first, second]) await hosts.get(hostId).removeLab({ labId: lab.id, prefix: lab.prefix });
  });
});

function sorted(rows: { purpose: string; value: string }[]) {
  return [...rows].sort((a, b) => a.purpose.localeCompare(b.purpose));
}
