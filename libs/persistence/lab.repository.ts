import { Injectable } from '@nestjs/common';
import { LabStatus } from './generated/enums';
import { PrismaService } from './prisma.service';

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

@Injectable()
export class LabRepository {
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

  /** The lab a student token opens (revoked tokens open nothing). */
  findByStudentTokenHash(tokenHash: string) {
    return this.prisma.lab.findFirst({ where: { student: { tokenHash, revokedAt: null } }, select: { id: true } });
  }

  listByClass(classId: string) {
    return this.prisma.lab.findMany({ where: { classId }, include: { student: true }, orderBy: { createdAt: 'asc' } });
  }

  /** Places the lab on a host unless another job already moved it (compare-and-set on the previous host). */
  async setHost(id: string, hostId: string, previous: string | null): Promise<void> {
    await this.prisma.lab.updateMany({ where: { id, hostId: previous }, data: { hostId } });
  }

  /** Moves a lab to ready unless it was deleted meanwhile; returns whether it moved. */
  async markReady(id: string): Promise<boolean> {
    const { count } = await this.prisma.lab.updateMany({
      where: { id, status: LabStatus.provisioning },
      data: { status: LabStatus.ready, readyAt: new Date(), failureReason: null },
    });
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

  /** Marks the lab destroyed and frees its allocations, in one transaction. */
  async markDestroyed(id: string): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.allocation.deleteMany({ where: { labId: id } }),
      this.prisma.lab.update({ where: { id }, data: { status: LabStatus.destroyed, destroyedAt: new Date() } }),
    ]);
  }

  /** Labs past their expiry or idle timeout, with the reason to record and their generation (for the job id). */
  findReapable(now = new Date()): Promise<{ id: string; generation: number; reason: 'expired' | 'idle' }[]> {
    return this.prisma.$queryRaw`
      SELECT l.id::text AS id, l.generation,
             CASE WHEN l."expiresAt" < ${now} THEN 'expired' ELSE 'idle' END AS reason
        FROM "Lab" l JOIN "Class" c ON c.id = l."classId"
       WHERE l.status = 'ready'
         AND (l."expiresAt" < ${now} OR l."lastActivityAt" + make_interval(mins => c."idleMinutes") < ${now})`;
  }

  /** Labs left in a transient state for longer than `olderThanMs` (their job may have been lost). */
  findStuck(olderThanMs: number) {
    return this.prisma.lab.findMany({
      where: { status: { in: [LabStatus.provisioning, LabStatus.destroying] }, updatedAt: { lt: new Date(Date.now() - olderThanMs) } },
      select: { id: true, status: true, endReason: true, generation: true },
    });
  }

  /** Labs that still own something on a Docker host (anything not destroyed). */
  findLive() {
    return this.prisma.lab.findMany({ where: { status: { not: LabStatus.destroyed } }, select: { id: true, classId: true, prefix: true, hostId: true, status: true } });
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
          lastActivityAt: now,
        },
      });
      if (count !== 1) return null;
      // Our update holds the row's lock until commit: nobody else can have moved it since.
      return (await tx.lab.findUniqueOrThrow({ where: { id }, select: { generation: true } })).generation;
    });
  }

  /** A host stopped answering: its live labs are reported lost (their objects are cleaned when it returns). */
  async markHostLost(hostId: string): Promise<number> {
    const { count } = await this.prisma.lab.updateMany({
      where: { hostId, status: { in: [LabStatus.provisioning, LabStatus.ready] } },
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

  /** Number of students' labs holding resources on each host (the placement load; warm labs are not students' labs). */
  async countLiveByHost(): Promise<Map<string, number>> {
    const rows = await this.prisma.lab.groupBy({
      by: ['hostId'],
      where: { status: { in: [LabStatus.provisioning, LabStatus.ready, LabStatus.destroying] }, hostId: { not: null }, classId: { not: null } },
      _count: { _all: true },
    });
    return new Map(rows.map((r) => [r.hostId!, r._count._all]));
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
}
