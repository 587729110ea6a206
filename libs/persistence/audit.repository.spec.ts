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

const gathered = () => new Promise((resolve) => setTimeout(resolve, 80));

describe('AuditRepository', () => {
  it('writes the rows that come together in one statement, after waiting a moment for them', async () => {
    const { calls, audit } = setup();
    const rows = ['a', 'b', 'c'].map((actor) => audit.record({ actor, action: 'POST /labs/:id/steps/:step/verify' }));
    await tick();
    expect(calls).toHaveLength(0); // gathering
    await gathered();
    expect(calls.map((c) => c.actors)).toEqual([['a', 'b', 'c']]);
    calls[0].finish();
    await Promise.all(rows);
  });

  it('one row Postgres refuses fails alone: the others of its batch are written one by one', async () => {
    const { calls, audit } = setup();
    const settled = Promise.allSettled(['b', 'bad', 'c'].map((actor) => audit.record({ actor, action: 'x' })));
    await gathered();
    // The batch of three is refused, then each is tried alone.
    for (let i = 0; i < 20 && calls.length < 4; i++) {
      await tick();
      calls.filter((c) => !c.actors.includes('bad')).forEach((c) => c.finish());
    }
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls.map((c) => c.actors)).toEqual([['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
  });
});
