import { describe, expect, it } from 'vitest';
import { AuditRepository } from './audit.repository';
import type { PrismaService } from './prisma.service';

type Call = { actors: string[]; finish: (error?: Error) => void };

/** A pool whose inserts end when the test says so; a row with actor "bad" is refused, as Postgres would refuse a bad uuid. */
function setup() {
  const calls: Call[] = [];
  const pool = {
    query: ({ values }: { values: unknown[][] }) =>
      new Promise<void>((resolve, reject) => {
        const actors = values[0] as string[];
        calls.push({ actors, finish: (error) => (error ? reject(error) : resolve()) });
        if (actors.includes('bad')) calls[calls.length - 1].finish(new Error('invalid input syntax for type uuid'));
      }),
  };
  return { calls, audit: new AuditRepository({ pool } as unknown as PrismaService) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('AuditRepository', () => {
  it('writes a row alone at once, and the rows that come meanwhile together in the next statement', async () => {
    const { calls, audit } = setup();
    const first = audit.record({ actor: 'a', action: 'POST /labs/:id/steps/:step/verify' });
    await tick();
    expect(calls.map((c) => c.actors)).toEqual([['a']]);

    const more = ['b', 'c', 'd'].map((actor) => audit.record({ actor, action: 'POST /labs/:id/steps/:step/verify' }));
    await tick();
    expect(calls).toHaveLength(1); // waiting for the insert in flight
    calls[0].finish();
    await first;
    await tick();
    expect(calls.map((c) => c.actors)).toEqual([['a'], ['b', 'c', 'd']]);
    calls[1].finish();
    await Promise.all(more);
  });

  it('one row Postgres refuses fails alone: the others of its batch are written one by one', async () => {
    const { calls, audit } = setup();
    const first = audit.record({ actor: 'a', action: 'x' });
    await tick();
    const settled = Promise.allSettled(['b', 'bad', 'c'].map((actor) => audit.record({ actor, action: 'x' })));
    calls[0].finish();
    await first;
    // The batch of three is refused, then each is tried alone.
    for (let i = 0; i < 20 && calls.length < 5; i++) {
      await tick();
      calls.filter((c) => !c.actors.includes('bad')).forEach((c) => c.finish());
    }
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls.map((c) => c.actors)).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
  });
});
