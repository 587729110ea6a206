import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** Who did what to which lab; also where the reconciler records incidents it saw. */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async record(entry: { actor: string; action: string; classId?: string; labId?: string; detail?: Record<string, unknown> }): Promise<void> {
    await this.prisma.auditEvent.create({
      data: { actor: entry.actor, action: entry.action, classId: entry.classId, labId: entry.labId, detail: entry.detail as object | undefined },
    });
  }

  forLab(labId: string, take = 20) {
    return this.prisma.auditEvent.findMany({ where: { labId }, orderBy: { at: 'desc' }, take });
  }
}
