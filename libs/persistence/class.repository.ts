import { Injectable } from '@nestjs/common';
import type { PrismaClient } from './generated/client';
import { LabStatus } from './generated/enums';
import type { Admission } from './placement-ledger';
import { PrismaService } from './prisma.service';
import { WarmLabRepository } from './warm-lab.repository';

type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export interface NewStudent {
  externalId: string;
  displayName?: string;
  tokenHash: string;
  labPrefix: string;
}

@Injectable()
export class ClassRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly warm: WarmLabRepository,
  ) {}

  /**
   * Creates the class, its students and their labs in one transaction. With `warmPool`,
   * students get ready warm labs of that pool first (seat()); the rest get new labs.
   */
  async createWithLabs(input: {
    name: string;
    labDefinitionId: string;
    labTtlMinutes: number;
    idleMinutes: number;
    settings: { runPolicy: string; runAfterFailures: number; language: string };
    students: NewStudent[];
    /** When the class starts: its labs' clocks (expiry, idle) start then. */
    startsAt?: Date;
    warmPool: string | null;
    /** Checks there is room for the new labs (libs/placement/admission.ts); refusing rolls everything back. */
    admit?: Admission;
  }) {
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.class.create({
        data: {
          name: input.name,
          labDefinitionId: input.labDefinitionId,
          labTtlMinutes: input.labTtlMinutes,
          idleMinutes: input.idleMinutes,
          startsAt: input.startsAt,
          ...input.settings,
        },
      });
      return { class: created, labs: await this.seat(tx, created, input.students, input.warmPool, input.admit) };
    });
  }

  /** Students arriving in a live class (an LMS launch): same as at creation. Null when the class is unknown or deleted. */
  async addStudents(classId: string, students: NewStudent[], warmPool: string | null, admit?: Admission) {
    return this.prisma.$transaction(async (tx) => {
      const found = await tx.class.findFirst({ where: { id: classId, deletedAt: null } });
      if (!found) return null;
      return { class: found, labs: await this.seat(tx, found, students, warmPool, admit) };
    });
  }

  /**
   * The one way students get labs: their rows, then ready warm labs claimed for them (one
   * UPDATE, WarmLabRepository.claim), then a new lab row (status provisioning) for each
   * one left, once `admit` found room for them (it may refuse: nothing of the transaction
   * stays, no class, student or claim). `claimed` says which labs came warm (ready now,
   * nothing to queue).
   */
  private async seat(
    tx: Tx,
    klass: { id: string; labDefinitionId: string; labTtlMinutes: number; startsAt: Date | null },
    students: NewStudent[],
    warmPool: string | null,
    admit: Admission | undefined,
  ) {
    const now = Date.now();
    const start = Math.max(now, klass.startsAt?.getTime() ?? now);
    const expiresAt = new Date(start + klass.labTtlMinutes * 60_000);
    const rows = await tx.student.createManyAndReturn({
      data: students.map((s) => ({ classId: klass.id, externalId: s.externalId, displayName: s.displayName, tokenHash: s.tokenHash })),
    });
    const byExternalId = new Map(rows.map((row) => [row.externalId, row]));
    const claims = warmPool
      ? await this.warm.claim(tx, warmPool, { classId: klass.id, labDefinitionId: klass.labDefinitionId, expiresAt, studentIds: rows.map((r) => r.id) })
      : [];
    const claimedBy = new Map(claims.map((c) => [c.studentId, c]));
    const cold = students.filter((s) => !claimedBy.has(byExternalId.get(s.externalId)!.id));
    if (admit && cold.length) await admit(tx, cold.length);
    const coldLabs = cold.length
      ? await tx.lab.createManyAndReturn({
          data: cold.map((s, index) => ({
            // One statement gives every row the same now(): a millisecond apart, the class lists them in the students' order.
            createdAt: new Date(now + index),
            classId: klass.id,
            studentId: byExternalId.get(s.externalId)!.id,
            labDefinitionId: klass.labDefinitionId,
            prefix: s.labPrefix,
            expiresAt,
            // A class that starts later: the idle clock starts with it.
            lastActivityAt: new Date(start),
          })),
          select: { id: true, studentId: true, status: true, generation: true },
        })
      : [];
    const coldBy = new Map(coldLabs.map((lab) => [lab.studentId!, lab]));
    return students.map((s) => {
      const student = byExternalId.get(s.externalId)!;
      const warm = claimedBy.get(student.id);
      const lab = warm
        ? { id: warm.labId, status: LabStatus.ready, generation: warm.generation, claimed: true }
        : { ...coldBy.get(student.id)!, claimed: false };
      return { student, lab: { id: lab.id, status: lab.status, generation: lab.generation, claimed: lab.claimed } };
    });
  }

  /** The student of a class by their external id, with their lab. */
  findStudent(classId: string, externalId: string) {
    return this.prisma.student.findUnique({ where: { classId_externalId: { classId, externalId } }, include: { lab: true } });
  }

  /** Whether the class exists and is not deleted, without loading its labs. */
  async isLive(id: string): Promise<boolean> {
    return (await this.prisma.class.count({ where: { id, deletedAt: null } })) === 1;
  }

  /**
   * Every class not deleted, newest first, with how many of its labs are in each status
   * (GET /classes): two queries whatever the number of classes.
   */
  async listLive() {
    const classes = await this.prisma.class.findMany({
      where: { deletedAt: null },
      orderBy: { createdAt: 'desc' },
      select: { id: true, name: true, labDefinitionId: true, createdAt: true },
    });
    const counts = classes.length
      ? await this.prisma.lab.groupBy({ by: ['classId', 'status'], where: { classId: { in: classes.map((c) => c.id) } }, _count: { _all: true } })
      : [];
    return classes.map((c) => ({
      ...c,
      labsByStatus: Object.fromEntries(counts.filter((row) => row.classId === c.id).map((row) => [row.status, row._count._all])) as Record<string, number>,
    }));
  }

  /** Whether the class exists, deleted or not. */
  async exists(id: string): Promise<boolean> {
    return (await this.prisma.class.count({ where: { id } })) === 1;
  }

  findById(id: string) {
    return this.prisma.class.findFirst({
      where: { id },
      include: { labs: { include: { student: true, steps: true }, orderBy: { createdAt: 'asc' } } },
    });
  }

  /**
   * Marks the class deleted and revokes its students' tokens, once: a class already
   * deleted keeps its first deletedAt. Returns the deletedAt in force.
   */
  async markDeleted(id: string): Promise<Date> {
    return this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const { count } = await tx.class.updateMany({ where: { id, deletedAt: null }, data: { deletedAt: now } });
      if (count === 1) await tx.student.updateMany({ where: { classId: id, revokedAt: null }, data: { revokedAt: now } });
      return (await tx.class.findUniqueOrThrow({ where: { id }, select: { deletedAt: true } })).deletedAt!;
    });
  }
}
