import { Injectable } from '@nestjs/common';
import { LabStatus } from './generated/enums';
import { liveLabsByHost, liveLabsOn, lockPlacement, prismaLedger } from './placement-ledger';
import { PrismaService } from './prisma.service';
import { Batcher } from '../batching/batcher';

export { LabStatus };

/** A lab row with its class and student loaded. */
type WithOwner = { classId: string | null; studentId: string | null; class?: unknown; student?: unknown };
/** The same row once a student holds it: class and student are there. */
export type Claimed<T extends WithOwner> = T & { classId: string; studentId: string } & ('class' extends keyof T ? { class: NonNullable<T['class']> } : unknown) &
  ('student' extends keyof T ? { student: NonNullable<T['student']> } : unknown);

/**
 * Whether a student holds this lab. A warm lab (no class, no student) is nobody's: the
 * API answers 404 for it whoever asks, so no token, not even the instructor's, can open a
 * terminal in it or change it before a student claims it.
 */
export function isClaimed<T extends WithOwner>(lab: T): lab is Claimed<T> {
  return lab.classId !== null && lab.studentId !== null;
}

/**
 * A lab as one query reads it for a student's request or a step job: what run and verify
 * need (scope, host, generation, values, class settings, passed steps), no timestamps.
 */
export interface LabSnapshot {
  id: string;
  classId: string;
  prefix: string;
  hostId: string | null;
  status: LabStatus;
  generation: number;
  labDefinitionId: string;
  allocations: { purpose: string; value: string }[];
  /** Ids of the steps passed when it was read (a step once passed stays passed). */
  passedSteps: string[];
  class: { runPolicy: string; runAfterFailures: number; language: string };
}

/** One statement: the lab, its class's settings, allocations and passed steps (json/array aggregates, no join fan-out). */
const SNAPSHOT_SELECT = `
  SELECT l.id::text AS id, l."classId"::text AS "classId", l.prefix, l."hostId", l.status::text AS status, l.generation,
         l."labDefinitionId", c."runPolicy", c."runAfterFailures", c.language,
         COALESCE((SELECT json_agg(json_build_object('purpose', a.purpose, 'value', a.value)) FROM "Allocation" a WHERE a."labId" = l.id), '[]') AS allocations,
         COALESCE((SELECT array_agg(p."stepId") FROM "StepProgress" p WHERE p."labId" = l.id AND p.status = 'passed'), '{}') AS "passedSteps"
    FROM "Lab" l JOIN "Class" c ON c.id = l."classId"`;

/**
 * Both run on every request of a student (the tokens) or an instructor (the id): named, so each
 * pool connection parses and plans them once (a prepared statement) instead of on every call.
 * The tokens' statement reads a batch of token hashes at once (Batcher), an array so
 * that its text is the same whatever the batch's size.
 */
const SNAPSHOTS_BY_TOKENS = `${SNAPSHOT_SELECT.replace('SELECT ', 'SELECT s."tokenHash", ')}
    JOIN "Student" s ON s.id = l."studentId" WHERE s."tokenHash" = ANY($1::text[]) AND s."revokedAt" IS NULL`;
const SNAPSHOT_BY_ID = `${SNAPSHOT_SELECT} WHERE l.id = $1::uuid`;

type SnapshotRow = Omit<LabSnapshot, 'class'> & LabSnapshot['class'];

function toSnapshot(row: SnapshotRow | undefined): LabSnapshot | null {
  if (!row) return null;
  const { runPolicy, runAfterFailures, language, ...lab } = row;
  return { ...lab, class: { runPolicy, runAfterFailures, language } };
}

/** At most this many token hashes in one statement; more wait for the next one. */
const MAX_TOKENS = 200;

/**
 * The labs a deployment looks after (reconciler, reaper): its own, and those made before
 * labs said their deployment. Other deployments sharing the database (parallel test runs, a
 * staging NetLabs) are theirs to mend: one must never requeue, reap or repair another's lab.
 */
function ofDeployment(deployment: string) {
  return { OR: [{ deployment }, { deployment: null }] };
}

export interface TeardownLab {
  id: string;
  /** Null for a warm lab (no class until a student claims it). */
  classId: string | null;
  prefix: string;
  hostId: string | null;
}

@Injectable()
export class LabRepository {
  /** Every request with a student token reads through here: the ones that come together share a statement. */
  private readonly byToken = new Batcher<string, LabSnapshot | null>((hashes) => this.snapshotsByTokenHashes(hashes), { maxItems: MAX_TOKENS });

  constructor(private readonly prisma: PrismaService) {}

  findById(id: string) {
    return this.prisma.lab.findUnique({ where: { id }, include: { student: true, class: true } });
  }

  findWithProgress(id: string) {
    return this.prisma.lab.findUnique({ where: { id }, include: { steps: true, student: true, allocations: true, class: true } });
  }

  /** What the lab daemon needs of a lab: one query, no relations it does not read. */
  findForGateway(id: string) {
    return this.prisma.lab.findUnique({
      where: { id },
      select: { id: true, classId: true, prefix: true, hostId: true, status: true, allocations: { select: { purpose: true, value: true } } },
    });
  }

  /**
   * Authenticates a student token and reads its lab in one statement: the lab a token
   * opens (revoked tokens open nothing), as a LabSnapshot.
   */
  snapshotByStudentTokenHash(tokenHash: string): Promise<LabSnapshot | null> {
    return this.byToken.submit(tokenHash);
  }

  private async snapshotsByTokenHashes(hashes: string[]): Promise<(LabSnapshot | null)[]> {
    const { rows } = await this.prisma.pool.query<SnapshotRow & { tokenHash: string }>({ name: 'lab-snapshots-by-tokens', text: SNAPSHOTS_BY_TOKENS, values: [hashes] });
    const found = new Map(rows.map(({ tokenHash, ...row }) => [tokenHash, row]));
    return hashes.map((hash) => toSnapshot(found.get(hash)));
  }

  /** The lab as a LabSnapshot, in one statement; null when unknown. */
  async snapshot(id: string): Promise<LabSnapshot | null> {
    const { rows } = await this.prisma.pool.query<SnapshotRow>({ name: 'lab-snapshot', text: SNAPSHOT_BY_ID, values: [id] });
    return toSnapshot(rows[0]);
  }

  listByClass(classId: string) {
    return this.prisma.lab.findMany({ where: { classId }, include: { student: true }, orderBy: { createdAt: 'asc' } });
  }

  /** Each lab of a class with its status only (class progress; no relations). */
  statusesByClass(classId: string) {
    return this.prisma.lab.findMany({ where: { classId }, select: { id: true, status: true, failureReason: true, endReason: true }, orderBy: { createdAt: 'asc' } });
  }

  /** What provisioning reads of a lab: one query, no relations. */
  findForProvisioning(id: string) {
    return this.prisma.lab.findUnique({ where: { id }, select: { id: true, classId: true, prefix: true, hostId: true, status: true } });
  }

  /**
   * Places the lab on a host unless another job already moved it (compare-and-set on the
   * previous host); returns whether it moved. One statement (updateMany is three: BEGIN,
   * UPDATE, COMMIT).
   */
  async setHost(id: string, hostId: string, previous: string | null): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      UPDATE "Lab" SET "hostId" = ${hostId}, "updatedAt" = now() AT TIME ZONE 'UTC'
       WHERE id = ${id}::uuid AND "hostId" IS NOT DISTINCT FROM ${previous}::text`;
    return count === 1;
  }

  /** Moves a lab to ready unless it was deleted meanwhile; returns whether it moved. One statement. */
  async markReady(id: string): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      UPDATE "Lab" SET status = 'ready', "readyAt" = now() AT TIME ZONE 'UTC', "failureReason" = NULL, "updatedAt" = now() AT TIME ZONE 'UTC'
       WHERE id = ${id}::uuid AND status = 'provisioning'`;
    return count === 1;
  }

  async markFailed(id: string, reason: string): Promise<void> {
    await this.prisma.lab.updateMany({
      where: { id, status: LabStatus.provisioning },
      data: { status: LabStatus.failed, failureReason: reason, endReason: 'failed' },
    });
  }

  /** Starts a teardown; returns false when the lab is already gone. */
  async markDestroying(id: string, reason: string): Promise<boolean> {
    const { count } = await this.prisma.lab.updateMany({
      where: { id, status: { notIn: [LabStatus.destroyed] } },
      data: { status: LabStatus.destroying, endReason: reason },
    });
    return count === 1;
  }

  /**
   * Starts the teardown of labs, all in one statement: every one of them not destroyed yet
   * goes to destroying with its end reason. Returns those labs (what removing them needs).
   */
  beginTeardown(where: { ids: string[] } | { classId: string }, reason: string): Promise<TeardownLab[]> {
    return this.prisma.lab.updateManyAndReturn({
      where: { ...('ids' in where ? { id: { in: where.ids } } : { classId: where.classId }), status: { not: LabStatus.destroyed } },
      data: { status: LabStatus.destroying, endReason: reason },
      select: { id: true, classId: true, prefix: true, hostId: true },
    });
  }

  /** Marks labs destroyed and frees all their allocations: two statements in one transaction, whatever their number. */
  async markDestroyedMany(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.prisma.$transaction([
      this.prisma.allocation.deleteMany({ where: { labId: { in: ids } } }),
      this.prisma.lab.updateMany({ where: { id: { in: ids } }, data: { status: LabStatus.destroyed, destroyedAt: new Date(), leaked: null } }),
    ]);
  }

  /**
   * Marks a lab destroyed although the engine kept some of its objects (`leaked`, in words):
   * its allocations stay held, so no other lab gets its subnet, bridge name or port, until
   * the reconciler has removed what was left (clearLeak).
   */
  async markDestroyedLeaking(id: string, leaked: string): Promise<void> {
    await this.prisma.lab.update({ where: { id }, data: { status: LabStatus.destroyed, destroyedAt: new Date(), leaked } });
  }

  /** Destroyed labs of `deployment` on a host whose teardown left objects on the engine. */
  findLeaking(hostId: string, deployment: string) {
    return this.prisma.lab.findMany({ where: { hostId, status: LabStatus.destroyed, leaked: { not: null }, ...ofDeployment(deployment) }, select: { id: true, classId: true, leaked: true } });
  }

  /**
   * What a destroyed lab leaked is gone: frees its allocations and forgets the leak. Only
   * while the lab is still destroyed and leaking (a reset meanwhile owns them again).
   * Returns whether it did.
   */
  async clearLeak(id: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.lab.updateMany({ where: { id, status: LabStatus.destroyed, leaked: { not: null } }, data: { leaked: null } });
      if (count === 1) await tx.allocation.deleteMany({ where: { labId: id } });
      return count === 1;
    });
  }

  /** Marks the lab destroyed and frees its allocations, in one transaction. */
  async markDestroyed(id: string): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.allocation.deleteMany({ where: { labId: id } }),
      this.prisma.lab.update({ where: { id }, data: { status: LabStatus.destroyed, destroyedAt: new Date() } }),
    ]);
  }

  /** Labs of `deployment` past their expiry or idle timeout, with the reason to record and their generation (for the job id). */
  findReapable(deployment: string, now = new Date()): Promise<{ id: string; generation: number; reason: 'expired' | 'idle' }[]> {
    return this.prisma.$queryRaw`
      SELECT l.id::text AS id, l.generation,
             CASE WHEN l."expiresAt" < ${now} THEN 'expired' ELSE 'idle' END AS reason
        FROM "Lab" l JOIN "Class" c ON c.id = l."classId"
       WHERE l.status = 'ready'
         AND (l.deployment = ${deployment} OR l.deployment IS NULL)
         AND (l."expiresAt" < ${now} OR l."lastActivityAt" + make_interval(mins => c."idleMinutes") < ${now})`;
  }

  /** Labs of `deployment` left in a transient state for longer than `olderThanMs` (their job may have been lost). */
  findStuck(olderThanMs: number, deployment: string) {
    return this.prisma.lab.findMany({
      where: { status: { in: [LabStatus.provisioning, LabStatus.destroying] }, updatedAt: { lt: new Date(Date.now() - olderThanMs) }, ...ofDeployment(deployment) },
      select: { id: true, classId: true, status: true, endReason: true, generation: true },
    });
  }

  /** Labs of `deployment` that still own something on a Docker host (anything not destroyed). */
  findLive(deployment: string) {
    return this.prisma.lab.findMany({ where: { status: { not: LabStatus.destroyed }, ...ofDeployment(deployment) }, select: { id: true, classId: true, prefix: true, hostId: true, status: true } });
  }

  /**
   * Puts a lab back to provisioning for a reset and starts its next generation: allowed
   * from ready, failed or destroyed (an idle lab can be brought back) while its class
   * exists and its expiry has not passed. The expiry is kept: the class TTL is a hard cap
   * that only an instructor's extend moves. Returns the new generation, or null when
   * the lab may not be reset.
   */
  async beginReset(id: string, now = new Date()): Promise<number | null> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.lab.updateMany({
        where: {
          id,
          status: { in: [LabStatus.ready, LabStatus.failed, LabStatus.destroyed] },
          class: { deletedAt: null },
          OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
        },
        data: {
          status: LabStatus.provisioning,
          generation: { increment: 1 },
          failureReason: null,
          endReason: null,
          readyAt: null,
          destroyedAt: null,
          // The lab owns its allocations again; what it leaked is its own again too (the next teardown retries it).
          leaked: null,
          lastActivityAt: now,
        },
      });
      if (count !== 1) return null;
      // Our update holds the row's lock until commit: nobody else can have moved it since.
      return (await tx.lab.findUniqueOrThrow({ where: { id }, select: { generation: true } })).generation;
    });
  }

  /** A host stopped answering: the live labs `deployment` has on it are reported lost (their objects are cleaned when it returns). */
  async markHostLost(hostId: string, deployment: string): Promise<number> {
    const { count } = await this.prisma.lab.updateMany({
      where: { hostId, status: { in: [LabStatus.provisioning, LabStatus.ready] }, ...ofDeployment(deployment) },
      data: { status: LabStatus.failed, endReason: 'host-lost', failureReason: `Docker host ${hostId} stopped answering` },
    });
    return count;
  }

  /**
   * Moves a lab's expiry later, from now or from its current expiry, whichever is later.
   * Allowed for an ended lab too (an expired lab can then be reset), never in a deleted
   * class. Returns null when the lab is unknown or its class was deleted.
   */
  async extend(id: string, minutes: number): Promise<Date | null> {
    const lab = await this.prisma.lab.findUnique({ where: { id }, select: { expiresAt: true, class: { select: { deletedAt: true } } } });
    if (!lab?.class || lab.class.deletedAt) return null;
    const base = Math.max(Date.now(), lab.expiresAt?.getTime() ?? Date.now());
    const expiresAt = new Date(base + minutes * 60_000);
    await this.prisma.lab.update({ where: { id }, data: { expiresAt } });
    return expiresAt;
  }

  /**
   * setHost under the placement lock, only while the host has fewer than `capacity` live
   * labs of `deployment`: two workers placing at once never put more labs on a host than it takes.
   */
  async setHostWithin(id: string, hostId: string, previous: string | null, capacity: number, deployment: string): Promise<'placed' | 'moved' | 'full'> {
    return this.prisma.$transaction(async (tx) => {
      const ledger = prismaLedger(tx);
      await lockPlacement(ledger);
      if ((await liveLabsOn(ledger, deployment, hostId)) >= capacity) return 'full';
      const count = await tx.$executeRaw`
        UPDATE "Lab" SET "hostId" = ${hostId}, "updatedAt" = now() AT TIME ZONE 'UTC'
         WHERE id = ${id}::uuid AND "hostId" IS NOT DISTINCT FROM ${previous}::text`;
      return count === 1 ? 'placed' : 'moved';
    });
  }

  /** Labs of `deployment` holding a place on each host, warm ones included; key null: not placed yet (placement-ledger.ts). */
  liveByHost(deployment: string): Promise<Map<string | null, number>> {
    return liveLabsByHost(prismaLedger(this.prisma), deployment);
  }

  async touch(id: string): Promise<void> {
    await this.prisma.lab.update({ where: { id }, data: { lastActivityAt: new Date() } });
  }

  /**
   * Something in a ready lab went wrong and was acted on (the lab guard stopped a container):
   * shown to the student and instructor as the lab's failureReason until the next reset.
   */
  async noteIncident(id: string, message: string): Promise<void> {
    await this.prisma.lab.updateMany({ where: { id, status: LabStatus.ready }, data: { failureReason: message } });
  }

  /** How many labs of `deployment` are in each state on each host (metrics); hostId null: not placed yet. */
  async countByStatusAndHost(deployment: string): Promise<{ status: LabStatus; hostId: string | null; count: number }[]> {
    const groups = await this.prisma.lab.groupBy({ by: ['status', 'hostId'], where: ofDeployment(deployment), _count: { _all: true } });
    return groups.map((g) => ({ status: g.status, hostId: g.hostId, count: g._count._all }));
  }
}
