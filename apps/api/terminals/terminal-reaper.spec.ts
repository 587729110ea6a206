import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../libs/config/app-config';
import type { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { CONSOLE, type LabScope } from '../../../libs/docker/tenant-docker';
import { type LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import type { TerminalSessionRepository } from '../../../libs/persistence/terminal-session.repository';
import type { DeadSession, TerminalDirectory } from './terminal-directory';
import { TerminalReaper } from './terminal-reaper';

const LAB = '11111111-1111-4111-8111-111111111111';
const config = loadConfig({ ...process.env, ADMIN_TOKEN: 'x'.repeat(16) });

/** A method nobody set up fails the test (strict fakes: CONVENTIONS.md). */
function strict<T extends object>(name: string, methods: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(methods, {
    get: (target, key) => {
      if (key in target) return target[key as keyof typeof target];
      if (key === 'then') return undefined;
      throw new Error(`${name}.${String(key)} called, not expected by this test`);
    },
  }) as T;
}

function setUp(taken: DeadSession[], world: { lab?: { status: LabStatus; hostId: string | null } | null; record?: { labId: string; container: string; openedAt: Date | null }; kill?: () => Promise<number> } = {}) {
  const calls: string[] = [];
  const directory = strict<TerminalDirectory>('directory', {
    takeDead: async () => taken,
    reaped: async (id: string) => void calls.push(`reaped ${id}`),
  });
  const records = strict<TerminalSessionRepository>('records', {
    findById: async () => world.record ?? null,
    end: async (id: string, input: { reason: string }) => void calls.push(`end ${id} ${input.reason}`),
  });
  const lab = world.lab === undefined ? { status: LabStatus.ready, hostId: 'local' } : world.lab;
  const labs = strict<LabRepository>('labs', { findById: async () => (lab ? { id: LAB, classId: null, prefix: 'nl-x', ...lab } : null) });
  const docker = {
    killTerminal: async (scope: LabScope, name: string, id: string) => {
      calls.push(`kill ${scope.labId} ${name} ${id}`);
      return (world.kill ?? (async () => 2))();
    },
  };
  const hosts = strict<DockerHostPool>('hosts', { get: () => docker });
  return { sut: new TerminalReaper(config, directory, records, labs, hosts), calls };
}

describe('TerminalReaper', () => {
  it('a session whose owner died: its shell is killed in the lab container, then it is recorded owner-lost and let go', async () => {
    const { sut, calls } = setUp([{ id: 's1', kind: 'dead', labId: LAB, container: 'console' }]);
    expect(await sut.sweep()).toBe(1);
    expect(calls).toEqual([`kill ${LAB} ${CONSOLE} s1`, 'end s1 owner-lost', 'reaped s1']);
  });

  it('a session nobody opened: no shell to kill, recorded never-opened', async () => {
    const { sut, calls } = setUp([{ id: 's2', kind: 'unopened', labId: LAB, container: 'container1' }]);
    await sut.sweep();
    expect(calls).toEqual(['end s2 never-opened', 'reaped s2']);
  });

  it('a session whose Redis record expired too: the database says where it ran and whether it was opened', async () => {
    const opened = setUp([{ id: 's3', kind: 'gone', labId: null, container: null }], { record: { labId: LAB, container: 'container1', openedAt: new Date() } });
    await opened.sut.sweep();
    expect(opened.calls).toEqual([`kill ${LAB} container1 s3`, 'end s3 owner-lost', 'reaped s3']);
    const never = setUp([{ id: 's4', kind: 'gone', labId: null, container: null }], { record: { labId: LAB, container: 'console', openedAt: null } });
    await never.sut.sweep();
    expect(never.calls).toEqual(['end s4 never-opened', 'reaped s4']);
  });

  it('a lab already torn down: nothing to kill, still recorded', async () => {
    const { sut, calls } = setUp([{ id: 's5', kind: 'dead', labId: LAB, container: 'console' }], { lab: { status: LabStatus.destroyed, hostId: 'local' } });
    await sut.sweep();
    expect(calls).toEqual(['end s5 owner-lost', 'reaped s5']);
  });

  it('an engine that does not answer: neither recorded nor let go, so it is taken again later', async () => {
    const { sut, calls } = setUp([{ id: 's6', kind: 'dead', labId: LAB, container: 'console' }], {
      kill: async () => {
        throw new Error('engine down');
      },
    });
    expect(await sut.sweep()).toBe(1);
    expect(calls).toEqual([`kill ${LAB} ${CONSOLE} s6`]);
  });
});
