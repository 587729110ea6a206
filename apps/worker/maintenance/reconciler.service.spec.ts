import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../libs/config/app-config';
import type { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import type { AllocationRepository } from '../../../libs/persistence/allocation.repository';
import type { AuditRepository } from '../../../libs/persistence/audit.repository';
import { type HostRepository, HostStatus } from '../../../libs/persistence/host.repository';
import type { LabRepository } from '../../../libs/persistence/lab.repository';
import type { HostCapacityService } from '../../../libs/placement/host-capacity.service';
import type { JobQueue } from '../../../libs/queue/job-queue.service';
import type { LabConsoleService } from '../provisioning/lab-console.service';
import { ReconcilerService } from './reconciler.service';

const config = { DEPLOYMENT_ID: 'd1', DOCKER_HOSTS: [{ id: 'b', endpoint: 'unix:///b.sock' }], HOST_LOST_AFTER_MS: 60_000 } as unknown as AppConfig;
const never = (what: string) => async () => {
  throw new Error(`${what} was not expected: the host does not answer`);
};

/** Host b does not answer; its record says it was last seen `lastSeenMsAgo` ago, with status `status`. */
function setup(status: HostStatus, lastSeenMsAgo: number) {
  const record = { status, lastSeenAt: new Date(Date.now() - lastSeenMsAgo) };
  const lost: string[] = [];
  const host = { hostId: 'b', ping: async () => Promise.reject(new Error('connect ENOENT /b.sock')), listOwned: never('listOwned') };
  const hosts = { all: () => [host] } as unknown as DockerHostPool;
  const hostRecords = {
    record: async (_id: string, _endpoint: string, next: HostStatus) => {
      const previous = record.status;
      record.status = next;
      return previous;
    },
    // As HostRepository.silentFor: a host marked up is not silent; else since its last answer.
    silentFor: async (_id: string, ms: number) => record.status !== HostStatus.up && Date.now() - record.lastSeenAt.getTime() >= ms,
  } as unknown as HostRepository;
  const labs = {
    markHostLost: async (id: string) => (lost.push(id), 3),
    findStuck: async () => [],
    findLive: never('findLive'),
  } as unknown as LabRepository;
  const sut = new ReconcilerService(
    config,
    hosts,
    hostRecords,
    labs,
    { releaseOrphans: never('releaseOrphans') } as unknown as AllocationRepository,
    { record: never('audit') } as unknown as AuditRepository,
    { ensure: never('ensure') } as unknown as JobQueue,
    {} as LabConsoleService,
    { refresh: never('refresh') } as unknown as HostCapacityService,
  );
  return { sut, lost, record };
}

describe('ReconcilerService', () => {
  it('marks a host down, not lost, at its first unanswered ping, however long ago the previous run saw it', async () => {
    // Runs are RECONCILE_INTERVAL_MS (60 s) apart: the last answer is always about that old.
    const { sut, lost, record } = setup(HostStatus.up, 61_000);
    expect(await sut.reconcile()).toEqual({ outcome: 'done', removed: 0, repaired: 0, marked: 0 });
    expect(record.status).toBe(HostStatus.down);
    expect(lost).toEqual([]);
  });

  it('reports the labs of a host still silent at the next run, HOST_LOST_AFTER_MS after its last answer, host-lost', async () => {
    const { sut, lost } = setup(HostStatus.down, 121_000);
    expect(await sut.reconcile()).toMatchObject({ marked: 3 });
    expect(lost).toEqual(['b']);
  });

  it('waits out an outage shorter than HOST_LOST_AFTER_MS', async () => {
    const { sut, lost } = setup(HostStatus.down, 30_000);
    expect(await sut.reconcile()).toMatchObject({ marked: 0 });
    expect(lost).toEqual([]);
  });
});

describe('ReconcilerService on a host that answers', () => {
  it('inspects only the ready labs whose network or running console the listing lacks', async () => {
    const ready = (id: string) => ({ id, classId: 'c1', prefix: `nl-${id}`, hostId: 'b', status: 'ready' });
    const net = (lab: string) => ({ kind: 'network', id: `n-${lab}`, engineName: `nl-${lab}-bridge`, labId: lab });
    const console = (lab: string, running: boolean) => ({ kind: 'container', id: `c-${lab}`, engineName: `nl-${lab}--console`, labId: lab, running });
    const inspected: string[] = [];
    const host = {
      hostId: 'b',
      ping: async () => undefined,
      // l1 whole; l2's console stopped; l3's network named another lab's; l4 nothing listed (ready after the listing).
      listOwned: async () => [net('l1'), console('l1', true), net('l2'), console('l2', false), { ...net('l9'), labId: 'l3' }, console('l3', true)],
      inspectNetwork: async (scope: { labId: string }) => (inspected.push(`network ${scope.labId}`), { id: 'n' }),
      inspectContainer: async (scope: { labId: string }) => (inspected.push(`console ${scope.labId}`), { running: true }),
    };
    const labs = { findLive: async () => ['l1', 'l2', 'l3', 'l4'].map(ready), findLeaking: async () => [], findStuck: async () => [] } as unknown as LabRepository;
    const sut = new ReconcilerService(
      { ...config, LAB_LABELS: {} } as AppConfig,
      { all: () => [host] } as unknown as DockerHostPool,
      { record: async () => HostStatus.up } as unknown as HostRepository,
      labs,
      { releaseOrphans: async () => 0 } as unknown as AllocationRepository,
      { record: never('audit') } as unknown as AuditRepository,
      { ensure: never('ensure') } as unknown as JobQueue,
      {} as LabConsoleService,
      { refresh: async () => undefined } as unknown as HostCapacityService,
    );
    expect(await sut.reconcile()).toEqual({ outcome: 'done', removed: 0, repaired: 0, marked: 0 });
    expect(inspected).toEqual(['network l2', 'console l2', 'network l3', 'console l3', 'network l4', 'console l4']);
  });
});

describe('ReconcilerService and labs that look stuck', () => {
  it("leaves a destroying lab to its class's teardown job while that job is queued or running, and requeues the others", async () => {
    const stuck = [
      { id: 'a1', classId: 'busy', status: 'destroying', endReason: 'deleted', generation: 0 },
      { id: 'a2', classId: 'busy', status: 'destroying', endReason: 'deleted', generation: 0 },
      { id: 'b1', classId: 'done', status: 'destroying', endReason: 'deleted', generation: 0 },
      { id: 'w1', classId: null, status: 'destroying', endReason: 'idle', generation: 1 },
      { id: 'p1', classId: 'busy', status: 'provisioning', endReason: null, generation: 0 },
    ];
    const asked: string[] = [];
    const queued: string[] = [];
    const queue = {
      // The class `busy` has its teardown job waiting or running; `done`'s finished long ago.
      isPending: async (name: string, jobId: string) => (asked.push(`${name} ${jobId}`), jobId === 'teardown-class-busy'),
      ensure: async (name: string, _data: unknown, jobId: string) => (queued.push(`${name} ${jobId}`), true),
    } as unknown as JobQueue;
    const sut = new ReconcilerService(
      config,
      { all: () => [] } as unknown as DockerHostPool,
      {} as HostRepository,
      { findStuck: async () => stuck } as unknown as LabRepository,
      {} as AllocationRepository,
      {} as AuditRepository,
      queue,
      {} as LabConsoleService,
      {} as HostCapacityService,
    );
    expect(await sut.reconcile()).toEqual({ outcome: 'done', removed: 0, repaired: 3, marked: 0 });
    expect(queued).toEqual(['teardown-lab teardown-b1-g0-deleted', 'teardown-lab teardown-w1-g1-idle', 'provision-lab provision-p1-g0']);
    // One question per class, whatever its number of labs.
    expect(asked).toEqual(['teardown-class teardown-class-busy', 'teardown-class teardown-class-done']);
  });
});
