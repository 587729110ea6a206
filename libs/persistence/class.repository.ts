import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

export interface NewStudent {
  externalId: string;
  displayName?: string;
  tokenHash: string;
  labPrefix: string;
}

type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];

/**
 * The one place a student and their lab rows are made (POST /classes, adding students, an LTI
 * launch): status provisioning, the class's definition and lab lifetime.
 */
async function createStudentLabs(tx: Tx, owner: { id: string; labDefinitionId: string; labTtlMinutes: number }, students: NewStudent[]) {
  const expiresAt = new Date(Date.now() + owner.labTtlMinutes * 60_000);
  const labs = [];
  for (const student of students) {
    const row = await tx.student.create({
      data: { classId: owner.id, externalId: student.externalId, displayName: student.displayName, tokenHash: student.tokenHash },
    });
    const lab = await tx.lab.create({
      data: { classId: owner.id, studentId: row.id, labDefinitionId: owner.labDefinitionId, prefix: student.labPrefix, expiresAt },
    });
    labs.push({ lab, student: row });
  }
  return labs;
}

@Injectable()
export class ClassRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates the class, its students and their labs (status provisioning) in one transaction. */
  async createWithLabs(input: {
    name: string;
    labDefinitionId: string;
    labTtlMinutes: number;
    idleMinutes: number;
    settings: { runPolicy: string; runAfterFailures: number; language: string };
    students: NewStudent[];
  }) {
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.class.create({
        data: {
          name: input.name,
          labDefinitionId: input.labDefinitionId,
          labTtlMinutes: input.labTtlMinutes,
          idleMinutes: input.idleMinutes,
          ...input.settings,
        },
      });
      const labs = await createStudentLabs(tx, created, input.students);
      return { class: created, labs };
    });
  }

  /**
   * Adds students and their labs (status provisioning) to a live class, in one transaction,
   * through the same code as createWithLabs. Null when the class is unknown or deleted;
   * throws a unique violation (P2002) when one of them is already in the class.
   */
  async addStudentsWithLabs(classId: string, students: NewStudent[]) {
    return this.prisma.$transaction(async (tx) => {
      const found = await tx.class.findFirst({ where: { id: classId, deletedAt: null } });
      if (!found) return null;
      return { class: found, labs: await createStudentLabs(tx, found, students) };
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
