/**
 * Warm labs (issue 12): POST /classes for N students (30 by default) -> each lab ready,
 * claimed from a full warm pool (WARM_LABS_PER_HOST = N), beside the same class
 * provisioned cold by a stack with no pool, in the same run (cold first, so the pool's
 * refill never competes with it). A lab counts as ready when the first answer that
 * shows it `ready` arrives: the POST's own answer for a warm lab, else GET /classes/:id
 * polled every 50 ms. Goal: warm p50 <= 150 ms.
 *
 *     npm run bench -- --only warm [students=30]
 */
import { loadavg } from 'node:os';
import { Pool } from 'pg';
import { TestStack } from '../support/stack';
import { requireLabRoom } from './bench-pools';
import { waitFor } from '../support/wait-for';
import { cpuMs, percentile, summary } from './stats';

type ClassRun = { classId: string; times: number[]; warm: number; apiCpuMs: number };

export async function benchWarm(students = 30): Promise<void> {
  const poolSize = students;
  // The claimed class beside the pool refilling behind it.
  requireLabRoom(poolSize + students, 'the warm scenario');
  console.log(`Warm labs: class of ${students}, pool of ${poolSize} per host (PROVISION_CONCURRENCY=${process.env.PROVISION_CONCURRENCY ?? 8})`);

  const cold = await withStack({ WARM_LABS_PER_HOST: '0' }, (stack) => timeClass(stack, students, 'cold'));

  const warm = await withStack({ WARM_LABS_PER_HOST: String(poolSize), WARM_REFILL_INTERVAL_MS: '1000' }, async (stack) => {
    const filled = Date.now();
    await fullPool(stack, poolSize);
    console.log(`  pool of ${poolSize} filled in ${Math.round((Date.now() - filled) / 1000)} s`);
    return timeClass(stack, students, 'warm');
  });

  console.log(summary(`POST /classes -> lab ready, warm pool (${warm.warm} warm)`, warm.times));
  console.log(summary('same class, cold (no pool), same run', cold.times));
  console.log(`  API CPU during POST /classes (10 ms ticks): warm ${warm.apiCpuMs} ms, cold ${cold.apiCpuMs} ms; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const ratio = (p: number) => (percentile(cold.times, p) / percentile(warm.times, p)).toFixed(1);
  console.log(`  cold/warm: p50 ${ratio(50)}x, p95 ${ratio(95)}x; warm p50 ${percentile(warm.times, 50)} ms (goal <= 150 ms: ${percentile(warm.times, 50) <= 150 ? 'met' : 'NOT met'})`);
}

/** Runs `work` on a stack of its own, then deletes its classes' labs and stops it. */
async function withStack<T extends ClassRun>(overrides: Record<string, string>, work: (stack: TestStack) => Promise<T>): Promise<T> {
  const stack = new TestStack(overrides);
  await stack.start();
  try {
    const result = await work(stack);
    await stack.request('DELETE', `/classes/${result.classId}`);
    await stack.waitForLabs(result.classId, (s) => s === 'destroyed', 300_000);
    return result;
  } finally {
    await stack.stop();
  }
}

async function fullPool(stack: TestStack, size: number): Promise<void> {
  const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  try {
    await waitFor(
      `${size} ready warm labs`,
      async () => {
        const { rows } = await db.query(`select count(*)::int as n from "Lab" where "warmPool" = $1 and "classId" is null and status = 'ready'`, [`test-${stack.runId}`]);
        return rows[0].n >= size;
      },
      { timeoutMs: 900_000, intervalMs: 500 },
    );
  } finally {
    await db.end();
  }
}

async function timeClass(stack: TestStack, n: number, name: string): Promise<ClassRun> {
  const cpuBefore = cpuMs(stack.apiPid);
  const started = Date.now();
  const created = await stack.request('POST', '/classes', {
    name: `bench ${name}`,
    labDefinitionId: 'docker-network',
    students: Array.from({ length: n }, (_, i) => ({ externalId: `${name}-${i}` })),
  });
  const answered = Date.now() - started;
  // The API's own CPU for the POST (load-independent, unlike its wall time on a shared machine).
  const apiCpuMs = cpuMs(stack.apiPid) - cpuBefore;
  if (created.status !== 201) throw new Error(`POST /classes: ${created.status} ${JSON.stringify(created.body)}`);
  const readyAt = new Map<string, number>();
  for (const lab of created.body.labs) if (lab.status === 'ready') readyAt.set(lab.id, answered);
  while (readyAt.size < n) {
    if (Date.now() - started > 900_000) throw new Error('labs not ready after 15 min');
    const klass = await stack.request('GET', `/classes/${created.body.id}`);
    for (const lab of klass.body.labs) {
      if (lab.status === 'failed') throw new Error(`lab ${lab.id} failed: ${lab.failureReason}`);
      if (lab.status === 'ready' && !readyAt.has(lab.id)) readyAt.set(lab.id, Date.now() - started);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const warm = created.body.labs.filter((l: { warm?: boolean }) => l.warm).length;
  return { classId: created.body.id, times: [...readyAt.values()], warm, apiCpuMs };
}
