/**
 * Where a warm claim's time goes in the database (issue 12), without Docker: a pool of
 * `students` ready warm labs is inserted straight into Postgres (rows only, no engine
 * objects), then ClassRepository.createWithLabs seats a class of `students` on it, as
 * POST /classes does, `rounds` times (after one untimed round that warms Prisma's and
 * Postgres' caches, the first timed separately). Prints per round: wall time, the SQL
 * statements sent (every pg client query, Prisma's included, BEGIN/COMMIT counted) and
 * the time spent hashing the tokens. Cleans its rows up. The full HTTP path is in
 * warm-bench.ts.
 *
 *     node dist/test/bench/claim-profile.js [students=30] [rounds=20]
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { hashToken, newLabPrefix, newStudentToken } from '../../apps/api/common/tokens';
import { loadConfig } from '../../libs/config/app-config';
import { ClassRepository } from '../../libs/persistence/class.repository';
import { PrismaService } from '../../libs/persistence/prisma.service';
import { percentile, summary } from './stats';

/** Counts every statement any pg client of this process sends (Prisma's adapter goes through pg too). */
let statements = 0;
const originalQuery = Client.prototype.query;
(Client.prototype as unknown as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
  statements++;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as unknown;

async function main(): Promise<void> {
  const students = Number(process.argv[2] ?? 30);
  const rounds = Number(process.argv[3] ?? 20);
  const config = loadConfig({ ...process.env, ADMIN_TOKEN: randomBytes(16).toString('hex') });
  const prisma = new PrismaService(config);
  const classes = new ClassRepository(prisma);
  const pool = `profile-${randomBytes(4).toString('hex')}`;
  const classIds: string[] = [];
  const times: number[] = [];
  const counts: number[] = [];
  const hashing: number[] = [];
  let first = 0;
  try {
    for (let round = 0; round <= rounds; round++) {
      await prisma.pool.query(
        `INSERT INTO "Lab" (id, "labDefinitionId", prefix, "hostId", status, "warmPool", "readyAt", "updatedAt")
         SELECT gen_random_uuid(), 'docker-network', 'nlp-' || substr(md5(random()::text), 1, 10), 'local', 'ready', $1,
                (now() AT TIME ZONE 'UTC') - (n || ' ms')::interval, now() AT TIME ZONE 'UTC'
           FROM generate_series(1, $2::int) AS n`,
        [pool, students],
      );
      const t0 = performance.now();
      const h0 = performance.now();
      const rows = Array.from({ length: students }, (_, i) => ({ externalId: `s-${i}`, tokenHash: hashToken(newStudentToken()), labPrefix: newLabPrefix() }));
      const hashed = performance.now() - h0;
      const before = statements;
      const created = await classes.createWithLabs({
        name: `profile ${round}`,
        labDefinitionId: 'docker-network',
        labTtlMinutes: 240,
        idleMinutes: 60,
        settings: { runPolicy: 'after-failures', runAfterFailures: 3, language: 'fr' },
        students: rows,
        warmPool: pool,
        deployment: pool,
      });
      const took = performance.now() - t0;
      classIds.push(created.class.id);
      const warm = created.labs.filter((l) => l.lab.claimed).length;
      if (warm !== students) throw new Error(`round ${round}: ${warm} of ${students} warm`);
      if (round === 0) {
        first = took;
        continue;
      }
      times.push(Math.round(took * 10) / 10);
      counts.push(statements - before);
      hashing.push(hashed);
    }
    console.log(`claim profile: class of ${students} on a pool of ${students}, ${rounds} rounds`);
    console.log(`  first round (cold caches): ${first.toFixed(1)} ms`);
    console.log(summary('createWithLabs (class + students + claim), warm caches', times));
    console.log(`  SQL statements per class: ${Math.min(...counts)}-${Math.max(...counts)}; token hashing: p50 ${percentile(hashing, 50).toFixed(2)} ms for ${students}`);
  } finally {
    await prisma.pool.query(`DELETE FROM "Lab" WHERE "warmPool" = $1`, [pool]);
    await prisma.pool.query(`DELETE FROM "Student" WHERE "classId" = ANY($1::uuid[])`, [classIds]);
    await prisma.pool.query(`DELETE FROM "Class" WHERE id = ANY($1::uuid[])`, [classIds]);
    await prisma.$disconnect();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
