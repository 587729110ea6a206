import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { PrismaClient } from './generated/client';
import { LabStatus } from './generated/enums';
import { PrismaService } from './prisma.service';

/** A Prisma client or the transaction client of `$transaction(async (tx) => ...)`. */
type Db = Pick<PrismaClient, '$queryRaw'>;

/** A student who got a warm lab. */
export interface WarmClaim {
  labId: string;
  studentId: string;
  generation: number;
}

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
 *  - claim: ONE UPDATE gives ready warm labs to students, rows locked with SKIP LOCKED,
 *    so two claims at once never get the same lab and never wait on each other;
 *  - the database itself refuses a claimed lab going back to the pool or to another
 *    student (trigger lab_claim_is_final), so a lab a student touched is never lent again;
 *  - topUp/trim per host under an advisory lock, so two workers never overfill a pool.
 */
@Injectable()
export class WarmLabRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Gives up to `studentIds.length` ready warm labs of `pool` to these students, in one
   * statement (inside `db`, the transaction creating the students). Labs on hosts marked
   * down are left; labs are taken round-robin over hosts, oldest first on each. Returns
   * who got which lab; the others need a lab provisioned for them.
   */
  async claim(
    db: Db,
    pool: string,
    input: { classId: string; labDefinitionId: string; expiresAt: Date; studentIds: string[] },
  ): Promise<WarmClaim[]> {
    if (!input.studentIds.length) return [];
    return db.$queryRaw<WarmClaim[]>`
      WITH wanted AS (
        SELECT s.id AS "studentId", s.ord
          FROM unnest(${input.studentIds}::uuid[]) WITH ORDINALITY AS s(id, ord)
      ), picked AS (
        SELECT l.id, l."hostId", l."readyAt"
          FROM "Lab" l
         WHERE l."warmPool" = ${pool} AND l."classId" IS NULL AND l.status = 'ready'
           AND NOT EXISTS (SELECT 1 FROM "DockerHost" h WHERE h.id = l."hostId" AND h.status = 'down')
         ORDER BY (SELECT count(*) FROM "Lab" o
                    WHERE o."warmPool" = l."warmPool" AND o."hostId" = l."hostId" AND o."classId" IS NULL
                      AND o.status = 'ready' AND o."readyAt" < l."readyAt"),
                  l."readyAt", l.id
         LIMIT ${input.studentIds.length}
         FOR UPDATE OF l SKIP LOCKED
      ), numbered AS (
        SELECT id, row_number() OVER () AS ord FROM picked
      )
      UPDATE "Lab" l
         SET "classId" = ${input.classId}::uuid, "studentId" = w."studentId", "labDefinitionId" = ${input.labDefinitionId},
             "claimedAt" = now(), "expiresAt" = ${input.expiresAt}, "lastActivityAt" = now(), "updatedAt" = now()
        FROM numbered n JOIN wanted w ON w.ord = n.ord
       WHERE l.id = n.id AND l."classId" IS NULL AND l.status = 'ready'
      RETURNING l.id::text AS "labId", l."studentId"::text AS "studentId", l.generation`;
  }

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
    room?: (db: Db) => Promise<number>,
  ): Promise<{ created: WarmLabRef[]; trimmed: WarmLabRef[] }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${`netlabs-warm:${pool}:${hostId}`}))`;
      const warm = { warmPool: pool, hostId, classId: null };
      const count = await tx.lab.count({ where: { ...warm, status: { in: [LabStatus.provisioning, LabStatus.ready] } } });
      if (count > target) {
        const trimmed = await tx.$queryRaw<WarmLabRef[]>`
          UPDATE "Lab" SET status = 'destroying', "endReason" = 'trimmed', "updatedAt" = now()
           WHERE id IN (SELECT id FROM "Lab"
                         WHERE "warmPool" = ${pool} AND "hostId" = ${hostId} AND "classId" IS NULL AND status = 'ready'
                         ORDER BY "readyAt" DESC LIMIT ${count - target}
                         FOR UPDATE SKIP LOCKED)
             AND "classId" IS NULL AND status = 'ready'
          RETURNING id::text AS id, generation`;
        return { created: [], trimmed };
      }
      if (count === target) return { created: [], trimmed: [] };
      const failedLately = await tx.lab.count({ where: { ...warm, status: LabStatus.failed, updatedAt: { gt: new Date(Date.now() - WARM_FAILURE_BACKOFF_MS) } } });
      if (failedLately) return { created: [], trimmed: [] };
      // A full host keeps fewer warm labs: they would take places students' labs need.
      const wanted = Math.min(target - count, room ? await room(tx) : Infinity);
      if (wanted <= 0) return { created: [], trimmed: [] };
      const created = await tx.lab.createManyAndReturn({
        data: Array.from({ length: wanted }, () => ({ labDefinitionId, prefix: `nl-${randomBytes(4).toString('hex')}`, hostId, warmPool: pool })),
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
