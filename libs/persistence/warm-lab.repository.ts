import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LabStatus } from './generated/enums';
import { type LedgerDb, prismaLedger } from './placement-ledger';
import { PrismaService } from './prisma.service';

/** A lab job to queue: its id and generation make its job id (libs/queue/job-ids.ts). */
export interface WarmLabRef {
  id: string;
  generation: number;
}

/** A warm pool whose last labs failed to provision waits this long before trying again on that host. */
export const WARM_FAILURE_BACKOFF_MS = 60_000;

/**
 * The warm pool in the database (README.md, "Warm labs"). A warm lab is a Lab row with
 * `warmPool` set (the DEPLOYMENT_ID that keeps it), a host, and no class nor student.
 *  - claim: in the one statement that seats students (seat-sql.ts, ClassRepository.seat),
 *    rows locked with SKIP LOCKED, so two claims at once never get the same lab and
 *    never wait on each other;
 *  - the database itself refuses a claimed lab going back to the pool or to another
 *    student (trigger lab_claim_is_final), so a lab a student touched is never lent again;
 *  - topUp/trim per host under an advisory lock, so two workers never overfill a pool.
 */
@Injectable()
export class WarmLabRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Brings the pool of `pool` on `hostId` to `target` labs (provisioning or ready), within
   * the `room` the host has: new rows to provision (unless a warm lab failed there in the last WARM_FAILURE_BACKOFF_MS),
   * or ready warm labs beyond the target moved to `destroying` (never a claimed one: the
   * same statement checks it has no class, under the row lock) for their teardown.
   */
  async topUpOrTrim(
    pool: string,
    hostId: string,
    target: number,
    labDefinitionId: string,
    /** Places the host has left for warm labs (libs/placement/admission.ts warmRoomFor), asked in this transaction. */
    room?: (db: LedgerDb) => Promise<number>,
  ): Promise<{ created: WarmLabRef[]; trimmed: WarmLabRef[] }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${`netlabs-warm:${pool}:${hostId}`}))`;
      const warm = { warmPool: pool, hostId, classId: null };
      const count = await tx.lab.count({ where: { ...warm, status: { in: [LabStatus.provisioning, LabStatus.ready] } } });
      if (count > target) {
        // The labs to trim are picked once (MATERIALIZED). As `WHERE id IN (SELECT ... LIMIT n
        // FOR UPDATE SKIP LOCKED)`, Postgres may rescan the subquery for each row it updates, and
        // each rescan, no longer seeing the rows already moved, picked the next one: a CI run
        // trimmed 3 of 3 warm labs for a target of 1.
        const trimmed = await tx.$queryRaw<WarmLabRef[]>`
          WITH picked AS MATERIALIZED (
            SELECT id FROM "Lab"
             WHERE "warmPool" = ${pool} AND "hostId" = ${hostId} AND "classId" IS NULL AND status = 'ready'
             ORDER BY "readyAt" DESC LIMIT ${count - target}
             FOR UPDATE SKIP LOCKED
          )
          UPDATE "Lab" l SET status = 'destroying', "endReason" = 'trimmed', "updatedAt" = now()
            FROM picked
           WHERE l.id = picked.id AND l."classId" IS NULL AND l.status = 'ready'
          RETURNING l.id::text AS id, l.generation`;
        return { created: [], trimmed };
      }
      if (count === target) return { created: [], trimmed: [] };
      const failedLately = await tx.lab.count({ where: { ...warm, status: LabStatus.failed, updatedAt: { gt: new Date(Date.now() - WARM_FAILURE_BACKOFF_MS) } } });
      if (failedLately) return { created: [], trimmed: [] };
      // A full host keeps fewer warm labs: they would take places students' labs need.
      const wanted = Math.min(target - count, room ? await room(prismaLedger(tx)) : Infinity);
      if (wanted <= 0) return { created: [], trimmed: [] };
      const created = await tx.lab.createManyAndReturn({
        data: Array.from({ length: wanted }, () => ({ labDefinitionId, prefix: `nl-${randomBytes(4).toString('hex')}`, hostId, warmPool: pool, deployment: pool })),
        select: { id: true, generation: true },
      });
      return { created, trimmed: [] };
    });
  }

  /** Warm labs of `pool` per host and state (provisioning, ready), for the operator and the tests. */
  async countByHost(pool: string): Promise<{ hostId: string; status: string; count: number }[]> {
    const rows = await this.prisma.lab.groupBy({
      by: ['hostId', 'status'],
      where: { warmPool: pool, classId: null, status: { in: [LabStatus.provisioning, LabStatus.ready] } },
      _count: { _all: true },
    });
    return rows.map((r) => ({ hostId: r.hostId ?? '', status: r.status, count: r._count._all }));
  }
}
