import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** Students' tokens (stored only as hashes). */
@Injectable()
export class StudentRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Replaces the token of the lab's student (the old one stops working); false for an unknown lab or a deleted class. */
  async rotateToken(labId: string, tokenHash: string): Promise<boolean> {
    const { count } = await this.prisma.student.updateMany({
      where: { lab: { id: labId }, class: { deletedAt: null } },
      data: { tokenHash, revokedAt: null },
    });
    return count === 1;
  }

  async revokeToken(labId: string): Promise<boolean> {
    const { count } = await this.prisma.student.updateMany({ where: { lab: { id: labId } }, data: { revokedAt: new Date() } });
    return count === 1;
  }
}
