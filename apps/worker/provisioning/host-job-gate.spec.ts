import { DelayedError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { HostSlotStore } from '../../../libs/queue/host-slots';
import { type GatedJob, type GateLabs, type GatePlacement, type GatePlacer, HostJobGate } from './host-job-gate';
import { NoHostError } from './host-placement.service';
import { HostFullError } from './provisioning.service';

/** Slots in memory, `perHost` each, with who holds them. */
class FakeSlots implements HostSlotStore {
  readonly held = new Map<string, Set<string>>();
  constructor(readonly perHost: number) {}
  async take(hostId: string, holder: string) {
    const set = this.held.get(hostId) ?? new Set();
    this.held.set(hostId, set);
    if (set.has(holder)) return true;
    if (set.size >= this.perHost) return false;
    set.add(holder);
    return true;
  }
  async renew() {}
  async release(hostId: string, holder: string) {
    this.held.get(hostId)?.delete(holder);
  }
  count(hostId: string) {
    return this.held.get(hostId)?.size ?? 0;
  }
}

function setup(opts: { hostId?: string | null; candidates?: string[]; down?: string[]; perHost?: number; status?: string; silent?: string[] }) {
  const slots = new FakeSlots(opts.perHost ?? 1);
  const lab = { id: 'lab1', hostId: opts.hostId ?? null, status: opts.status ?? 'provisioning' };
  const placed: string[] = [];
  const placement: GatePlacement = {
    isDown: async (id) => (opts.down ?? []).includes(id),
    candidates: async () => ({ ids: opts.candidates ?? ['a', 'b'], skipped: ['c: full (2 labs, limited by max-labs)'] }),
    answers: async (id) => ((opts.silent ?? []).includes(id) ? `Docker host ${id} does not answer: connect ENOENT` : null),
  };
  const labs: GateLabs = { findForProvisioning: async () => lab };
  const placer: GatePlacer = {
    place: async (l, chosen) => {
      placed.push(chosen!);
      lab.hostId = chosen!;
      return chosen!;
    },
  };
  const delays: number[] = [];
  const job: GatedJob = { id: 'j1', moveToDelayed: async (timestamp: number) => void delays.push(timestamp - Date.now()) } as GatedJob;
  return { gate: new HostJobGate(slots, placement, labs, placer), slots, placed, delays, job, lab };
}

describe('HostJobGate', () => {
  it('runs the job holding a slot of the lab\'s host, and gives it back', async () => {
    const { gate, slots, job } = setup({ hostId: 'a' });
    let during = -1;
    expect(await gate.run(job, 'tok', 'lab1', false, async () => ((during = slots.count('a')), 'done'))).toBe('done');
    expect(during).toBe(1);
    expect(slots.count('a')).toBe(0);
  });

  it('gives the slot back when the job throws', async () => {
    const { gate, slots, job } = setup({ hostId: 'a' });
    await expect(gate.run(job, 'tok', 'lab1', true, async () => Promise.reject(new Error('engine said no')))).rejects.toThrow('engine said no');
    expect(slots.count('a')).toBe(0);
  });

  it('moves the job back to the queue, delayed, when its host has no slot free, without running it', async () => {
    const { gate, slots, job, delays } = setup({ hostId: 'a' });
    await slots.take('a', 'someone else');
    let ran = false;
    await expect(gate.run(job, 'tok', 'lab1', false, async () => (ran = true))).rejects.toBeInstanceOf(DelayedError);
    expect(ran).toBe(false);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThan(500);
  });

  it('places a new lab on the first host with room that has a free slot, skipping a busy one', async () => {
    const { gate, slots, job, placed } = setup({ candidates: ['a', 'b'] });
    await slots.take('a', 'busy job');
    let during = '';
    await gate.run(job, 'tok', 'lab1', true, async () => (during = [...(slots.held.get('b') ?? [])].join()));
    expect(placed).toEqual(['b']);
    expect(during).toMatch(/^j1:/);
    expect(slots.count('b')).toBe(0);
    expect(slots.count('a')).toBe(1);
  });

  it('delays a new lab when every host with room is busy', async () => {
    const { gate, slots, job, placed, delays } = setup({ candidates: ['a', 'b'] });
    await slots.take('a', 'x');
    await slots.take('b', 'y');
    await expect(gate.run(job, 'tok', 'lab1', true, async () => 'ran')).rejects.toBeInstanceOf(DelayedError);
    expect(placed).toEqual([]);
    expect(delays).toHaveLength(1);
  });

  it('waits (delayed, not an attempt) while the only host with room does not answer, and places the lab there once it does', async () => {
    // Host a is full (not a candidate); b has room, its engine is restarting.
    const silent = ['b'];
    const { gate, job, placed, delays } = setup({ candidates: ['b'], silent });
    for (let i = 0; i < 6; i++) await expect(gate.run(job, 'tok', 'lab1', true, async () => 'ran')).rejects.toBeInstanceOf(DelayedError);
    expect(placed).toEqual([]);
    expect(delays).toHaveLength(6);
    silent.length = 0;
    expect(await gate.run(job, 'tok', 'lab1', true, async () => 'ran')).toBe('ran');
    expect(placed).toEqual(['b']);
  });

  it('places the lab on a host that answers rather than wait for one that does not', async () => {
    const { gate, job, placed } = setup({ candidates: ['b', 'a'], silent: ['b'] });
    expect(await gate.run(job, 'tok', 'lab1', true, async () => 'ran')).toBe('ran');
    expect(placed).toEqual(['a']);
  });

  it('fails (the job retries, then the lab fails) when no host has room, saying why', async () => {
    const { gate, job } = setup({ candidates: [] });
    const error = await gate.run(job, 'tok', 'lab1', true, async () => 'ran').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoHostError);
    expect(String(error)).toContain('c: full (2 labs, limited by max-labs)');
  });

  it('runs a teardown of a lab on a host marked down without a slot (no engine to spare)', async () => {
    const { gate, job, slots } = setup({ hostId: 'a', down: ['a'] });
    await slots.take('a', 'x');
    expect(await gate.run(job, 'tok', 'lab1', false, async () => 'torn down')).toBe('torn down');
  });

  it('never places a lab that is no longer provisioning (deleted before its job ran): the job runs and skips it', async () => {
    const { gate, job, placed } = setup({ status: 'destroyed', candidates: [] });
    expect(await gate.run(job, 'tok', 'lab1', true, async () => 'skipped')).toBe('skipped');
    expect(placed).toEqual([]);
  });

  it('goes on to the next host when the chosen one filled up meanwhile', async () => {
    const { gate, job, slots, placed, lab } = setup({ candidates: ['a', 'b'], perHost: 2 });
    (gate as unknown as { placer: GatePlacer }).placer = {
      place: async (l, chosen) => {
        if (chosen === 'a') throw new HostFullError('a', l.id);
        placed.push(chosen!);
        lab.hostId = chosen!;
        return chosen!;
      },
    };
    expect(await gate.run(job, 'tok', 'lab1', true, async () => 'ran')).toBe('ran');
    expect(placed).toEqual(['b']);
    expect(slots.count('a')).toBe(0);
  });
});
