import { Injectable } from '@nestjs/common';
import { AllocationKind } from './generated/enums';
import { isUniqueViolation } from './prisma-errors';
import { PrismaService } from './prisma.service';

export { AllocationKind };

/** Raised when a host has no free value left of one kind. */
export class PoolExhaustedError extends Error {}

@Injectable()
export class AllocationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Gives the lab one value of `kind` in the allocation domain `hostId` (a host id, or
   * "shared" when all hosts share one kernel) for `purpose`. Idempotent: a lab that
   * already holds that purpose gets the same value back (a retried job converges). The
   * database's unique constraints arbitrate races between labs: on a collision we pick
   * another free value.
   */
  async claim(labId: string, hostId: string, kind: AllocationKind, purpose: string, pickFree: (used: Set<string>) => string | null): Promise<string> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const held = await this.prisma.allocation.findUnique({ where: { labId_purpose: { labId, purpose } } });
      if (held) return held.value;
      const used = await this.prisma.allocation.findMany({ where: { hostId, kind }, select: { value: true } });
      const value = pickFree(new Set(used.map((row) => row.value)));
      if (value === null) throw new PoolExhaustedError(`no free ${kind} left on host ${hostId}`);
      try {
        await this.prisma.allocation.create({ data: { labId, hostId, kind, purpose, value } });
        return value;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new PoolExhaustedError(`could not claim a ${kind} on host ${hostId} after 20 attempts`);
  }

  /** Claims an exact value (derived from another allocation); fails if another lab holds it. */
  async claimExact(labId: string, hostId: string, kind: AllocationKind, purpose: string, value: string): Promise<string> {
    return this.claim(labId, hostId, kind, purpose, (used) => (used.has(value) ? null : value));
  }

  forLab(labId: string) {
    return this.prisma.allocation.findMany({ where: { labId } });
  }

  async releaseLab(labId: string): Promise<number> {
    const { count } = await this.prisma.allocation.deleteMany({ where: { labId } });
    return count;
  }

  /**
   * Frees allocations held by labs that own nothing any more (failed or destroyed), except
   * those of labs whose teardown left objects on the engine (Lab.leaked): a leaked network
   * still holds its subnet and bridge name there.
   */
  async releaseOrphans(): Promise<number> {
    const { count } = await this.prisma.allocation.deleteMany({ where: { lab: { status: { in: ['failed', 'destroyed'] }, leaked: null } } });
    return count;
  }
}
