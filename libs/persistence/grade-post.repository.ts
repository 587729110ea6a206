import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

export type GradePostStatus = 'pending' | 'sent' | 'failed';

/** Scores passed back to an LMS (LTI AGS) and what became of each. */
@Injectable()
export class GradePostRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(input: { labId: string; scoreGiven: number; scoreMaximum: number; lineItemUrl: string | null; status?: GradePostStatus; error?: string }) {
    return this.prisma.ltiGradePost.create({ data: input });
  }

  find(id: string) {
    return this.prisma.ltiGradePost.findUnique({ where: { id } });
  }

  async attempted(id: string, outcome: { status: GradePostStatus; error?: string | null }): Promise<void> {
    await this.prisma.ltiGradePost.update({
      where: { id },
      data: { status: outcome.status, error: outcome.error ?? null, attempts: { increment: 1 }, sentAt: outcome.status === 'sent' ? new Date() : undefined },
    });
  }

  /** Whether a later post of the lab exists (then this one need not go out: the later score supersedes it). */
  async superseded(post: { id: string; labId: string; createdAt: Date }): Promise<boolean> {
    return (await this.prisma.ltiGradePost.count({ where: { labId: post.labId, createdAt: { gt: post.createdAt }, id: { not: post.id } } })) > 0;
  }

  /** The latest post of each lab (the grade status an instructor sees). */
  async latestByLab(labIds: string[]) {
    if (!labIds.length) return new Map<string, Awaited<ReturnType<GradePostRepository['find']>> & object>();
    const rows = await this.prisma.ltiGradePost.findMany({ where: { labId: { in: labIds } }, orderBy: { createdAt: 'desc' }, distinct: ['labId'] });
    return new Map(rows.map((row) => [row.labId, row]));
  }

  forLab(labId: string) {
    return this.prisma.ltiGradePost.findMany({ where: { labId }, orderBy: { createdAt: 'asc' } });
  }
}
