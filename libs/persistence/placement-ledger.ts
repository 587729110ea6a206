import type { PrismaClient } from './generated/client';

/**
 * Where the ledger's statements run (no parameters): a pg client inside the seating
 * transaction (ClassRepository), or Prisma through prismaLedger.
 */
export interface LedgerDb {
  query(sql: string): Promise<{ rows: any[] }>;
}

/** A Prisma client or the transaction client of `$transaction(async (tx) => ...)` as a LedgerDb. */
export function prismaLedger(db: Pick<PrismaClient, '$queryRawUnsafe'>): LedgerDb {
  return { query: async (sql) => ({ rows: await db.$queryRawUnsafe<any[]>(sql) }) };
}

/**
 * Serialises everything that takes places on the Docker hosts (students seated with new
 * labs, warm labs created) for the rest of the caller's transaction: two classes admitted
 * at the same instant count each other's labs, never both the last places.
 */
export async function lockPlacement(db: LedgerDb): Promise<void> {
  await db.query(`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('netlabs-placement'))`);
}

/**
 * Labs holding (or about to hold) a place on a host, per host id: provisioning, ready or
 * destroying, warm labs included; the key null counts labs queued and not placed yet.
 */
export async function liveLabsByHost(db: LedgerDb): Promise<Map<string | null, number>> {
  const { rows } = await db.query(`
    SELECT "hostId", count(*)::int AS count FROM "Lab"
     WHERE status IN ('provisioning', 'ready', 'destroying')
     GROUP BY "hostId"`);
  return new Map((rows as { hostId: string | null; count: number }[]).map((r) => [r.hostId, Number(r.count)]));
}

/**
 * Called inside the transaction that seats students, once its statement wrote the
 * `newLabs` labs left to provision (after warm claims; unplaced, so counted under the key
 * null): throws to refuse, which rolls the whole seating back.
 */
export type Admission = (db: LedgerDb, newLabs: number) => Promise<void>;
