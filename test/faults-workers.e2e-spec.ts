import { describe, expect, it } from 'vitest';
import { findLeaks } from './support/leak-check';
import { QUICK_RECOVERY } from './support/stack';
import { sleep, waitFor } from './support/wait-for';
import { startedStack } from './support/started-stack';

const CYCLES = Number(process.env.FAULT_CYCLES ?? 200);
const BATCH = 10;

// The Redis restart is in faults-redis.e2e-spec.ts: it disturbs every stack on the machine, so it
// runs in the e2e-serial group; this file only kills its own worker and runs beside others.
describe('faults: worker kills', () => {
  const { stack, db } = startedStack(QUICK_RECOVERY);
  const classIds: string[] = [];

  it(`${CYCLES} provision/teardown cycles with random worker kills: zero leaks, zero duplicates`, async () => {
    let kills = 0;
    const cycleClasses: string[] = [];
    for (let done = 0; done < CYCLES; done += BATCH) {
      const created = await stack.request('POST', '/classes', {
        name: `cycle ${done}`,
        labDefinitionId: 'docker-network',
        students: Array.from({ length: Math.min(BATCH, CYCLES - done) }, (_, i) => ({ externalId: `c${done + i}` })),
      });
      expect(created.status).toBe(201);
      classIds.push(created.body.id);
      cycleClasses.push(created.body.id);
      // Kill the worker at a random moment of provisioning or of teardown, every other batch.
      const killDuringTeardown = Math.random() < 0.5;
      if (!killDuringTeardown && (done / BATCH) % 2 === 0) {
        await sleep(Math.random() * 1500);
        await stack.killWorker();
        stack.startWorker();
        kills++;
      }
      const provisioned = await stack.waitForLabs(created.body.id, (status) => status !== 'provisioning', 120_000);
      expect(provisioned.labs.filter((l: { status: string }) => l.status !== 'ready')).toEqual([]);
      expect((await stack.request('DELETE', `/classes/${created.body.id}`)).status).toBe(202);
      if (killDuringTeardown && (done / BATCH) % 2 === 0) {
        await sleep(Math.random() * 500);
        await stack.killWorker();
        stack.startWorker();
        kills++;
      }
      await stack.waitForLabs(created.body.id, (status) => status === 'destroyed', 120_000);
    }
    expect(kills).toBeGreaterThan(0);
    expect(await findLeaks(db, `test-${stack.runId}`, classIds)).toEqual({ orphans: [], duplicates: [], strayAllocations: [] });
    const { rows } = await db.query(`select count(*)::int as n from "Lab" where "classId" = any($1::uuid[]) and status = 'destroyed'`, [cycleClasses]);
    expect(rows[0].n).toBe(CYCLES);
    // A correctness test, not a timed one: every lab now also starts its console, and on a
    // busy 2-core machine 200 cycles take longer than the suite's default 3 minutes.
  }, 900_000);
});
