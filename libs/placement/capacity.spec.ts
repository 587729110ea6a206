import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config';
import { admissionFor, PlacementRefusedError, warmRoomFor } from './admission';
import { freePlaces, hostCapacity, poolLabs } from './capacity';
import type { LedgerDb } from '../persistence/placement-ledger';

const GiB = 1024 ** 3;
const config = (env: Record<string, string> = {}) => loadConfig({ ADMIN_TOKEN: 'a'.repeat(16), ...env });

describe('host capacity', () => {
  it('takes 100+ labs per host on this 2-core 24 GiB machine with the defaults', () => {
    const c = hostCapacity('local', { cpus: 2, memoryBytes: 23.54 * GiB }, config());
    // (24106 MB - 2048) / 128 = 172 by memory; 2 x 64 = 128 by CPU; 200 by HOST_MAX_LABS; 256 by the /15 pool.
    expect(c).toEqual({ hostId: 'local', labs: 128, limitedBy: 'cpu' });
    expect(c.labs).toBeGreaterThanOrEqual(100);
  });

  it('is the smallest of HOST_MAX_LABS, memory, CPUs and the per-host pool, and says which', () => {
    const settings = config({ HOST_MAX_LABS: '40,b=100', LAB_MEMORY_ESTIMATE_MB: '256', HOST_MEMORY_RESERVE_MB: '1024', LABS_PER_CPU: '10' });
    expect(hostCapacity('a', { cpus: 16, memoryBytes: 64 * GiB }, settings)).toEqual({ hostId: 'a', labs: 40, limitedBy: 'max-labs' });
    // (8192 - 1024) / 256 = 28
    expect(hostCapacity('b', { cpus: 16, memoryBytes: 8 * GiB }, settings)).toEqual({ hostId: 'b', labs: 28, limitedBy: 'memory' });
    expect(hostCapacity('b', { cpus: 2, memoryBytes: 64 * GiB }, settings)).toEqual({ hostId: 'b', labs: 20, limitedBy: 'cpu' });
    // A /22 holds 4 /24s: 2 labs (two subnets each).
    expect(hostCapacity('b', { cpus: 16, memoryBytes: 64 * GiB }, { ...settings, LAB_SUBNET_POOL: '10.96.0.0/22' })).toEqual({ hostId: 'b', labs: 2, limitedBy: 'subnet-pool' });
    // Memory below the reserve: nothing, not a negative number.
    expect(hostCapacity('a', { cpus: 16, memoryBytes: 0.5 * GiB }, settings).labs).toBe(0);
    // An engine never read takes nothing.
    expect(hostCapacity('a', null, settings)).toEqual({ hostId: 'a', labs: 0, limitedBy: 'unknown' });
  });

  it('counts the pool once for all hosts when it is shared, by subnets or ports, whichever runs out first', () => {
    expect(poolLabs(config({ LAB_SUBNET_POOL: '10.97.128.0/19' }))).toBe(16);
    expect(poolLabs(config({ LAB_PORT_MIN: '22000', LAB_PORT_MAX: '22004' }))).toBe(5);
    const shared = config({ ALLOCATION_SCOPE: 'shared', LAB_SUBNET_POOL: '10.97.128.0/19' });
    const big = { cpus: 8, memoryBytes: 64 * GiB };
    // Per host, the shared pool is not a limit...
    expect(hostCapacity('a', big, shared).labs).toBe(200);
    // ...but all hosts together get 16 labs, whatever their own room.
    const caps = [hostCapacity('a', big, shared), hostCapacity('b', big, shared)];
    expect(freePlaces(caps, new Map([['a', 10], ['b', 3]]), shared).total).toBe(3);
    expect(freePlaces(caps, new Map([['a', 10], ['b', 3], ['gone', 5]]), shared).total).toBe(0);
  });

  it('frees places per host as capacity minus live labs, and the total less the labs not placed yet', () => {
    const settings = config();
    const caps = [
      { hostId: 'a', labs: 10, limitedBy: 'max-labs' as const },
      { hostId: 'b', labs: 4, limitedBy: 'memory' as const },
    ];
    const free = freePlaces(caps, new Map<string | null, number>([['a', 3], ['b', 6], [null, 2]]), settings);
    expect(free.perHost).toEqual(new Map([['a', 7], ['b', 0]]));
    // b is over its capacity (its memory shrank): it does not give back places of a.
    expect(free.total).toBe(5);
  });
});

/**
 * A LedgerDb that answers the lock and the count of live labs of the deployment asked for
 * (`live` is the deployment's own; `others` those of other deployments sharing the database),
 * and records the order of the statements.
 */
function fakeDb(live: [string | null, number][], others: Record<string, [string | null, number][]> = {}) {
  const statements: string[] = [];
  const db = {
    query: async (sql: string, params: unknown[] = []) => {
      if (sql.includes('pg_advisory_xact_lock')) {
        statements.push('lock');
        return { rows: [{ locked: 1 }] };
      }
      statements.push('count');
      // No deployment given: every row of the database, as an unscoped count would see them.
      const rows = !params.length ? [...live, ...Object.values(others).flat()] : params[0] === settings.DEPLOYMENT_ID ? live : (others[String(params[0])] ?? []);
      return { rows: rows.map(([hostId, count]) => ({ hostId, count })) };
    },
  } satisfies LedgerDb;
  return { db, statements };
}

const settings = config({ DEPLOYMENT_ID: 'prod' });

describe('admission', () => {
  const caps = [
    { hostId: 'a', labs: 5, limitedBy: 'max-labs' as const },
    { hostId: 'b', labs: 5, limitedBy: 'max-labs' as const },
  ];

  // The seating statement has already written the requested labs (unplaced: key null) when admission counts.
  it('admits labs that fit, counting live labs only after taking the placement lock', async () => {
    const { db, statements } = fakeDb([['a', 4], ['b', 1], [null, 1 + 3]]);
    await expect(admissionFor(caps, settings)(db, 3)).resolves.toBeUndefined();
    expect(statements).toEqual(['lock', 'count']);
  });

  it('refuses with how many labs could not be placed, of how many, and the room left', async () => {
    const { db } = fakeDb([['a', 4], ['b', 1], [null, 1 + 7]]);
    const refusal = await admissionFor(caps, settings)(db, 7).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PlacementRefusedError);
    expect(refusal).toMatchObject({ unplaced: 3, requested: 7, free: 4 });
  });

  it('counts only the labs of its own deployment: rows other deployments left in the database take no place', async () => {
    // Another NetLabs (or an earlier test run) sharing the database has labs "live" on the same host ids.
    const { db } = fakeDb([['a', 4], [null, 2]], { staging: [['a', 50], ['b', 50], [null, 9]] });
    await expect(admissionFor(caps, settings)(db, 2)).resolves.toBeUndefined();
    // b's 5 places are free; 6 in all, less the 2 labs queued.
    expect(await warmRoomFor(caps, 'b', settings)(db)).toBe(4);
  });

  it('refuses everything when no host is up', async () => {
    const { db } = fakeDb([[null, 2]]);
    await expect(admissionFor([], settings)(db, 2)).rejects.toMatchObject({ unplaced: 2, requested: 2, free: 0 });
  });

  it('gives warm labs only the host\'s places that admitted labs do not need', async () => {
    const { db, statements } = fakeDb([['a', 2], ['b', 5], [null, 2]]);
    // a has 3 places, but 2 labs admitted and not placed yet take 2 of the 3 left in all.
    expect(await warmRoomFor(caps, 'a', settings)(db)).toBe(1);
    expect(await warmRoomFor(caps, 'b', settings)(db)).toBe(0);
    expect(statements.slice(0, 2)).toEqual(['lock', 'count']);
  });
});

describe('HOST_MAX_LABS', () => {
  it('reads one number for every host, per host values, or both', () => {
    expect(config({ HOST_MAX_LABS: '40' }).HOST_MAX_LABS).toEqual({ all: 40, byHost: {} });
    expect(config({ HOST_MAX_LABS: 'a=40,b=100' }).HOST_MAX_LABS).toEqual({ all: 200, byHost: { a: 40, b: 100 } });
    expect(config({ HOST_MAX_LABS: '10, b=100' }).HOST_MAX_LABS).toEqual({ all: 10, byHost: { b: 100 } });
    expect(config().HOST_MAX_LABS).toEqual({ all: 200, byHost: {} });
  });

  it('names a bad entry', () => {
    expect(() => config({ HOST_MAX_LABS: 'a=forty' })).toThrow(/HOST_MAX_LABS: "a=forty" is neither a number of labs/);
    expect(() => config({ HOST_MAX_LABS: 'A B=3' })).toThrow(/HOST_MAX_LABS/);
    expect(() => config({ HOST_PROVISION_CONCURRENCY: '0' })).toThrow(/HOST_PROVISION_CONCURRENCY/);
  });
});
