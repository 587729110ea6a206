import { Injectable } from '@nestjs/common';
import { LabStatus } from './generated/enums';
import { PrismaService } from './prisma.service';

export { LabStatus };

@Injectable()
export class LabRepository {
  constructor(private readonly prisma: PrismaService) {}

  findById(id: string) {
    return this.prisma.lab.findUnique({ where: { id }, include: { student: true, class: true } });
  }

  findWithProgress(id: string) {
    return this.prisma.lab.findUnique({ where: { id }, include: { steps: true, student: true, allocations: true } });
  }

  /** The lab a student token opens (revoked tokens open nothing). */
  findByStudentTokenHash(tokenHash: string) {
    return this.prisma.lab.findFirst({ where: { student: { tokenHash, revokedAt: null } }, select: { id: true } });
  }

  listByClass(classId: string) {
    return this.prisma.lab.findMany({ where: { classId }, include: { student: true }, orderBy: { createdAt: 'asc' } });
  }

  async setHost(id: string, hostId: string): Promise<void> {
    await this.prisma.lab.updateMany({ where: { id, hostId: null }, data: { hostId } });
  }

  /** Moves a lab to ready unless it was deleted meanwhile; returns whether it moved. */
  async markReady(id: string): Promise<boolean> {
    const { count } = await this.prisma.lab.updateMany({
      where: { id, status: { in: [LabStatus.provisioning, LabStatus.failed] } },
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

  async touch(id: string): Promise<void> {
    await this.prisma.lab.update({ where: { id }, data: { lastActivityAt: new Date() } });
  }
}
