import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

export interface NewInstructorSession {
  classId: string;
  tokenHash: string;
  source: 'admin' | 'lti';
  subject?: string;
  expiresAt: Date;
}

/** Links to a class's instructor dashboard (stored only as token hashes). */
@Injectable()
export class InstructorSessionRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(session: NewInstructorSession): Promise<void> {
    await this.prisma.instructorSession.create({ data: session });
  }

  /** The class an unexpired, unrevoked session opens, in one query; null when it opens nothing (or its class was deleted). */
  async findClassByTokenHash(tokenHash: string, now = new Date()): Promise<string | null> {
    const session = await this.prisma.instructorSession.findFirst({
      where: { tokenHash, revokedAt: null, expiresAt: { gt: now }, class: { deletedAt: null } },
      select: { classId: true },
    });
    return session?.classId ?? null;
  }

  async revokeAllOfClass(classId: string): Promise<number> {
    const { count } = await this.prisma.instructorSession.updateMany({ where: { classId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count;
  }
}
