import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

export interface NewStudent {
  externalId: string;
  displayName?: string;
  tokenHash: string;
  labPrefix: string;
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
      const expiresAt = new Date(Date.now() + input.labTtlMinutes * 60_000);
      const labs = [];
      for (const student of input.students) {
        const row = await tx.student.create({
          data: { classId: created.id, externalId: student.externalId, displayName: student.displayName, tokenHash: student.tokenHash },
        });
        const lab = await tx.lab.create({
          data: {
            classId: created.id,
            studentId: row.id,
            labDefinitionId: input.labDefinitionId,
            prefix: student.labPrefix,
            expiresAt,
          },
        });
        labs.push({ lab, student: row });
      }
      return { class: created, labs };
    });
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
