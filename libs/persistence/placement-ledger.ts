import type { PrismaClient } from './generated/client';

/** A Prisma client or the transaction client of `$transaction(async (tx) => ...)`. */
export type LedgerDb = Pick<PrismaClient, '$queryRaw'>;

/**
 * Serialises everything that takes places on the Docker hosts (students seated with new
 * labs, warm labs created) for the rest of the caller's transaction: two classes admitted
 * at the same instant count each other's labs, never both the last places.
 */
export async function lockPlacement(db: LedgerDb): Promise<void> {
  await db.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('netlabs-placement'))`;
}

/**
 * Labs holding (or about to hold) a place on a host, per host id: provisioning, ready or
 * destroying, warm labs included; the key null counts labs queued and not placed yet.
 */
export async function liveLabsByHost(db: LedgerDb): Promise<Map<string | null, number>> {
  const rows = await db.$queryRaw<{ hostId: string | null; count: number }[]>`
    SELECT "hostId", count(*)::int AS count FROM "Lab"
     WHERE status IN ('provisioning', 'ready', 'destroying')
     GROUP BY "hostId"`;
  return new Map(rows.map((r) => [r.hostId, Number(r.count)]));
}

/**
 * Called inside the transaction that seats students, once it knows how many of them need
 * a new lab (after warm claims): throws to refuse, which rolls the whole seating back.
 */
export type Admission = (db: LedgerDb, newLabs: number) => Promise<void>;
