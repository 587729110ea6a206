import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../libs/config/app-config';
import type { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import type { ContainerUsage } from '../../../libs/docker/tenant-docker';
import type { AuditRepository } from '../../../libs/persistence/audit.repository';
import type { LabRepository } from '../../../libs/persistence/lab.repository';
import { LabGuardService } from './lab-guard.service';

const MB = 1024 * 1024;
const config = { DEPLOYMENT_ID: 'd1', LAB_DISK_MB: 100, LAB_PIDS_FLAG_AFTER_MS: 120_000 } as AppConfig;

function setup(usage: ContainerUsage[]) {
  const stopped: string[] = [];
  const notes: [string, string][] = [];
  const audits: Record<string, unknown>[] = [];
  const host = {
    hostId: 'h1',
    usage: async (label: { key: string; value: string }) => {
      expect(label).toEqual({ key: 'netlabs.deployment', value: 'd1' });
      return usage;
    },
    stopContainerById: async (id: string) => void stopped.push(id),
  };
  const hosts = { all: () => [host] } as unknown as DockerHostPool;
  const labs = {
    findById: async (id: string) => (id === 'lab-1' ? { id, classId: 'class-1' } : null),
    noteIncident: async (id: string, message: string) => void notes.push([id, message]),
  } as unknown as LabRepository;
  const audit = { record: async (entry: Record<string, unknown>) => void audits.push(entry) } as unknown as AuditRepository;
  return { sut: new LabGuardService(config, hosts, labs, audit), stopped, notes, audits };
}

const container = (over: Partial<ContainerUsage>): ContainerUsage => ({ id: 'c1', labId: 'lab-1', name: 'container1', running: true, sizeRwBytes: 0, ...over });

describe('LabGuardService', () => {
  it('stops a running container past the disk limit and says why on the lab', async () => {
    const { sut, stopped, notes, audits } = setup([container({ sizeRwBytes: 150 * MB }), container({ id: 'c2', sizeRwBytes: 99 * MB })]);
    expect(await sut.patrol()).toEqual({ stopped: 1, flagged: 0 });
    expect(stopped).toEqual(['c1']);
    expect(notes[0][1]).toMatch(/container container1 was stopped: it wrote 150 MB .* more than the 100 MB/);
    expect(audits[0]).toMatchObject({ actor: 'lab-guard', action: 'incident', labId: 'lab-1', classId: 'class-1', detail: { kind: 'disk' } });
  });

  it('leaves a stopped container alone whatever its size', async () => {
    const { sut, stopped } = setup([container({ running: false, sizeRwBytes: 500 * MB })]);
    expect(await sut.patrol()).toEqual({ stopped: 0, flagged: 0 });
    expect(stopped).toEqual([]);
  });

  it('flags a container at its pids limit only after LAB_PIDS_FLAG_AFTER_MS, once per episode', async () => {
    const usage = [container({ pids: 256, pidsLimit: 256 })];
    const { sut, notes } = setup(usage);
    expect((await sut.patrol(0)).flagged).toBe(0);
    expect((await sut.patrol(60_000)).flagged).toBe(0);
    expect((await sut.patrol(120_000)).flagged).toBe(1);
    expect(notes[0][1]).toMatch(/at its limit of 256 processes for 2 min/);
    expect((await sut.patrol(180_000)).flagged).toBe(0);
    // Back under the limit, then at it again: a new episode, counted from its start.
    usage[0] = container({ pids: 3, pidsLimit: 256 });
    await sut.patrol(200_000);
    usage[0] = container({ pids: 255, pidsLimit: 256 });
    expect((await sut.patrol(210_000)).flagged).toBe(0);
    expect((await sut.patrol(330_000)).flagged).toBe(1);
  });
});
