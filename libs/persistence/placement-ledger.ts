import type { PrismaClient } from './generated/client';

/**
 * Where the ledger's statements run ($1.. parameters): a pg client inside the seating
 * transaction (ClassRepository), or Prisma through prismaLedger.
 */
export interface LedgerDb {
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

/** A Prisma client or the transaction client of `$transaction(async (tx) => ...)` as a LedgerDb. */
export function prismaLedger(db: Pick<PrismaClient, '$queryRawUnsafe'>): LedgerDb {
  return { query: async (sql, params = []) => ({ rows: await db.$queryRawUnsafe<any[]>(sql, ...params) }) };
}

/**
 * Serialises everything that takes places on the Docker hosts (students seated with new
 * labs, warm labs created) for the rest of the caller's transaction: two classes admitted
 * at the same instant count each other's labs, never both the last places.
 */
export async function lockPlacement(db: LedgerDb): Promise<void> {
  await db.query(`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('netlabs-placement'))`);
}

/** The statuses of a lab that holds (or is about to hold) a place on its host. */
const LIVE = `status IN ('provisioning', 'ready', 'destroying')`;
/** Labs of deployment $1, and those made before labs said their deployment (counted by every deployment). */
const OF_DEPLOYMENT = `("deployment" = $1 OR "deployment" IS NULL)`;

/**
 * Labs of `deployment` holding (or about to hold) a place on a host, per host id:
 * provisioning, ready or destroying, warm labs included; the key null counts labs queued
 * and not placed yet. Rows of other deployments sharing the database (test runs, a
 * staging NetLabs) are not counted: each deployment budgets its own labs (HOST_MAX_LABS).
 */
export async function liveLabsByHost(db: LedgerDb, deployment: string): Promise<Map<string | null, number>> {
  const { rows } = await db.query(
    `SELECT "hostId", count(*)::int AS count FROM "Lab"
      WHERE ${LIVE} AND ${OF_DEPLOYMENT}
      GROUP BY "hostId"`,
    [deployment],
  );
  return new Map((rows as { hostId: string | null; count: number }[]).map((r) => [r.hostId, Number(r.count)]));
}

/**
 * Called inside the transaction that seats students, once its statement wrote the
 * `newLabs` labs left to provision (after warm claims; unplaced, so counted under the key
 * null): throws to refuse, which rolls the whole seating back.
 */
export type Admission = (db: LedgerDb, newLabs: number) => Promise<void>;

/** Labs of `deployment` holding a place on `hostId` (as liveLabsByHost counts them), to place one more under the placement lock. */
export async function liveLabsOn(db: LedgerDb, deployment: string, hostId: string): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS count FROM "Lab" WHERE ${LIVE} AND ${OF_DEPLOYMENT} AND "hostId" = $2`, [deployment, hostId]);
  return Number(rows[0]?.count ?? 0);
}
