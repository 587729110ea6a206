import { describe, expect, it } from 'vitest';
import type { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { DockerLayerError, type LabRef, type LabRemoval, type TenantDocker } from '../../../libs/docker/tenant-docker';
import type { LabEvent, LabEvents } from '../../../libs/events/lab-events';
import type { AuditRepository } from '../../../libs/persistence/audit.repository';
import type { LabRepository, TeardownLab } from '../../../libs/persistence/lab.repository';
import { TeardownService } from './teardown.service';

/** A fake whose every member not given fails the test when touched (immich automock's rule). */
function strict<T extends object>(name: string, given: Partial<T>): T {
  return new Proxy(given as T, {
    get(target, prop) {
      if (prop in target) return target[prop as keyof T];
      if (prop === 'then') return undefined;
      throw new Error(`${name}.${String(prop)} was called but nobody stubbed it`);
    },
  });
}

const CLASS = 'c0000000-0000-4000-8000-000000000000';
const lab = (n: number, hostId: string | null = 'h1'): TeardownLab => ({ id: `l${n}`, classId: CLASS, prefix: `nl-${n}`, hostId });
const clean = (labId: string, containers = 3): LabRemoval => ({ labId, containers, networks: 1, images: 0, leaked: [] });

function setup(opts: { labs: TeardownLab[]; removeLabs: Record<string, (refs: LabRef[]) => Promise<LabRemoval[]>> }) {
  const db: string[] = [];
  const audits: Record<string, unknown>[] = [];
  const events: LabEvent[] = [];
  const hostCalls: { host: string; labs: string[] }[] = [];
  const labs = strict<LabRepository>('LabRepository', {
    beginTeardown: async (where, reason) => {
      db.push(`beginTeardown ${JSON.stringify(where)} ${reason}`);
      return opts.labs;
    },
    markDestroyedMany: async (ids) => void db.push(`markDestroyedMany ${ids.join(',')}`),
    markDestroyedLeaking: async (id, leaked) => void db.push(`markDestroyedLeaking ${id} ${leaked}`),
  });
  const hosts = strict<DockerHostPool>('DockerHostPool', {
    get: (hostId: string) =>
      strict<TenantDocker>(`TenantDocker(${hostId})`, {
        removeLabs: async (refs: LabRef[]) => {
          hostCalls.push({ host: hostId, labs: refs.map((r) => r.labId) });
          return opts.removeLabs[hostId](refs);
        },
      }),
  });
  const audit = strict<AuditRepository>('AuditRepository', { record: async (entry) => void audits.push(entry) });
  const bus = strict<LabEvents>('LabEvents', {
    publish: async (event) => {
      events.push(event);
      return true;
    },
  });
  return { sut: new TeardownService(labs, hosts, audit, bus), db, audits, events, hostCalls };
}

describe('TeardownService', () => {
  it('tears a class down in bulk: one statement to start, one removal per host, one transaction to finish', async () => {
    const labs = [lab(1), lab(2), lab(3, 'h2'), lab(4, null)];
    const { sut, db, hostCalls, events, audits } = setup({
      labs,
      removeLabs: { h1: async (refs) => refs.map((r) => clean(r.labId)), h2: async (refs) => refs.map((r) => clean(r.labId, 5)) },
    });
    expect(await sut.teardownClass(CLASS, 'deleted')).toEqual({ outcome: 'destroyed', labs: 4, leaked: 0, removed: { containers: 11, networks: 3 } });
    expect(db).toEqual([`beginTeardown {"classId":"${CLASS}"} deleted`, 'markDestroyedMany l1,l2,l3,l4']);
    expect(hostCalls).toEqual([
      { host: 'h1', labs: ['l1', 'l2'] },
      { host: 'h2', labs: ['l3'] },
    ]);
    expect(audits).toEqual([]);
    expect(events.filter((e) => e.type === 'lab-status' && e.status === 'destroying')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'lab-status' && e.status === 'destroyed').map((e) => e.labId).sort()).toEqual(['l1', 'l2', 'l3', 'l4']);
  });

  it('destroys a lab whose network the engine kept, records the leak and keeps its allocations', async () => {
    const leaked = { kind: 'network' as const, id: 'abcdef0123456789', engineName: 'nl-2-bridge', reason: 'has active endpoints (no container listed; 4 attempts)' };
    const { sut, db, audits, events } = setup({
      labs: [lab(1), lab(2)],
      removeLabs: { h1: async () => [clean('l1'), { ...clean('l2'), networks: 0, leaked: [leaked] }] },
    });
    expect(await sut.teardownClass(CLASS, 'deleted')).toMatchObject({ outcome: 'destroyed', labs: 2, leaked: 1 });
    // The clean lab frees its allocations; the leaking one is destroyed without freeing them.
    expect(db).toEqual([
      `beginTeardown {"classId":"${CLASS}"} deleted`,
      'markDestroyedMany l1',
      'markDestroyedLeaking l2 network nl-2-bridge (abcdef012345): has active endpoints (no container listed; 4 attempts)',
    ]);
    expect(audits).toEqual([{ actor: 'teardown', action: 'incident', labId: 'l2', classId: CLASS, detail: { kind: 'leaked', reason: 'deleted', leaked: [leaked] } }]);
    // Nobody is left waiting on a lab stuck in destroying.
    expect(events.filter((e) => e.type === 'lab-status' && e.status === 'destroyed').map((e) => e.labId)).toEqual(['l1', 'l2']);
  });

  it('records the labs of hosts that answered when another host fails, then throws so the job retries the rest', async () => {
    const { sut, db, events } = setup({
      labs: [lab(1), lab(2, 'down')],
      removeLabs: {
        h1: async (refs) => refs.map((r) => clean(r.labId)),
        down: async () => {
          throw new DockerLayerError('unreachable', 'Docker host down does not answer');
        },
      },
    });
    await expect(sut.teardownClass(CLASS, 'deleted')).rejects.toThrow('does not answer');
    expect(db).toEqual([`beginTeardown {"classId":"${CLASS}"} deleted`, 'markDestroyedMany l1']);
    // l2 stays destroying (the retry's beginTeardown picks it up again): no destroyed event for it.
    expect(events.filter((e) => e.type === 'lab-status' && e.status === 'destroyed').map((e) => e.labId)).toEqual(['l1']);
  });

  it('skips a lab already destroyed without touching any engine', async () => {
    const { sut, db, hostCalls } = setup({ labs: [], removeLabs: {} });
    expect(await sut.teardown('l9', 'idle')).toEqual({ outcome: 'skipped' });
    expect(db).toEqual(['beginTeardown {"ids":["l9"]} idle']);
    expect(hostCalls).toEqual([]);
  });

  it('tears one lab down through the same path', async () => {
    const { sut, db } = setup({ labs: [lab(7)], removeLabs: { h1: async (refs) => refs.map((r) => clean(r.labId, 2)) } });
    expect(await sut.teardown('l7', 'expired')).toEqual({ outcome: 'destroyed', removed: { containers: 2, networks: 1 }, leaked: 0 });
    expect(db).toEqual(['beginTeardown {"ids":["l7"]} expired', 'markDestroyedMany l7']);
  });
});
