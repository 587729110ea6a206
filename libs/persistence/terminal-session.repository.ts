import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** The record of every terminal session: who, which lab and container, when, why it ended, bytes each way. */
@Injectable()
export class TerminalSessionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** `id`: the one the session already has in Redis (apps/api/terminals/terminal-directory.ts). */
  async create(input: { id: string; labId: string; container: string; actor: string }): Promise<{ id: string; startedAt: Date }> {
    return this.prisma.terminalSession.create({ data: input, select: { id: true, startedAt: true } });
  }

  async markOpened(id: string): Promise<void> {
    await this.prisma.terminalSession.updateMany({ where: { id, openedAt: null }, data: { openedAt: new Date() } });
  }

  /** Records the end once; a second call (a race between two reasons) changes nothing. */
  async end(id: string, input: { reason: string; bytesIn: number; bytesOut: number }): Promise<void> {
    await this.prisma.terminalSession.updateMany({
      where: { id, endedAt: null },
      data: { endedAt: new Date(), endReason: input.reason, bytesIn: BigInt(input.bytesIn), bytesOut: BigInt(input.bytesOut) },
    });
  }

  findById(id: string) {
    return this.prisma.terminalSession.findUnique({ where: { id } });
  }

  listByLab(labId: string, take = 50) {
    return this.prisma.terminalSession.findMany({ where: { labId }, orderBy: { startedAt: 'desc' }, take });
  }
}
