/**
 * Trimming a warm pool on the real Postgres (WarmLabRepository.topUpOrTrim): exactly the labs
 * beyond the target go, the newest first. The statement once picked its labs in a subquery that
 * Postgres could rescan for each row it updated, and trimmed the whole pool (a CI run: 3 of 3
 * for a target of 1). Postgres takes that nested-loop plan on a small Lab table and a hash join
 * on a large one, so this file's connections turn hash and merge joins off: the plan of that run,
 * whatever the test database holds (`psql` shows it: EXPLAIN of the old statement, same settings).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../libs/config/app-config';
import { PrismaService } from '../libs/persistence/prisma.service';
import { WarmLabRepository } from '../libs/persistence/warm-lab.repository';

const runId = randomBytes(4).toString('hex');
const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/netlabs_test');
url.searchParams.set('options', '-c enable_hashjoin=off -c enable_mergejoin=off');
const config = loadConfig({ ...process.env, DATABASE_URL: url.toString(), ADMIN_TOKEN: `admin-${runId}-0123456789abcdef`, DEPLOYMENT_ID: `test-${runId}` });
const prisma = new PrismaService(config);
const repo = new WarmLabRepository(prisma);
const pools: string[] = [];

/**
 * `count` ready warm labs of a pool of their own, one second apart, written newest first: the
 * order in which the rescanning plan, meeting each updated row before the next rescan, trimmed
 * them all.
 */
async function readyPool(count: number): Promise<{ pool: string; hostId: string; ids: string[] }> {
  const pool = `trim-${runId}-${pools.length}`;
  pools.push(pool);
  const hostId = `host-${pool}`;
  const start = Date.now() - count * 1000;
  const rows = await prisma.lab.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({
      labDefinitionId: 'docker-network',
      prefix: `nl-${randomBytes(4).toString('hex')}`,
      hostId,
      warmPool: pool,
      deployment: pool,
      status: 'ready' as const,
      readyAt: new Date(start + (count - 1 - i) * 1000),
    })),
    select: { id: true, readyAt: true },
  });
  return { pool, hostId, ids: rows.sort((a, b) => a.readyAt!.getTime() - b.readyAt!.getTime()).map((r) => r.id) };
}

const statuses = async (pool: string) =>
  Object.fromEntries((await prisma.lab.findMany({ where: { warmPool: pool }, select: { id: true, status: true } })).map((l) => [l.id, l.status]));

describe('trimming a warm pool (real Postgres)', () => {
  afterAll(async () => {
    await prisma.lab.deleteMany({ where: { warmPool: { in: pools } } });
    await prisma.$disconnect();
  });

  for (const [size, target] of [
    [3, 1],
    [2, 1],
    [10, 3],
  ] as const) {
    it(`trims a pool of ${size} to ${target}: the ${size - target} newest go, the oldest stay ready`, async () => {
      const { pool, hostId, ids } = await readyPool(size);
      const plan = await repo.topUpOrTrim(pool, hostId, target, 'docker-network');
      expect(plan.created).toEqual([]);
      expect(plan.trimmed.map((l) => l.id).sort()).toEqual(ids.slice(target).sort());
      const after = await statuses(pool);
      expect(ids.map((id) => after[id])).toEqual([...Array(target).fill('ready'), ...Array(size - target).fill('destroying')]);
      // At its target, the next call changes nothing.
      expect(await repo.topUpOrTrim(pool, hostId, target, 'docker-network')).toEqual({ created: [], trimmed: [] });
    });
  }
});
