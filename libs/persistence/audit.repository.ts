import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** Who did what to which lab; also where the reconciler records incidents it saw. */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One row per change request (every verify among them): sent on the pool, the ORM's CPU cost is not worth it here. */
  async record(entry: { actor: string; action: string; classId?: string; labId?: string; detail?: Record<string, unknown> }): Promise<void> {
    await this.prisma.pool.query(
      `INSERT INTO "AuditEvent" (id, at, actor, action, "classId", "labId", detail)
       VALUES (gen_random_uuid(), now() AT TIME ZONE 'UTC', $1, $2, $3::uuid, $4::uuid, $5::jsonb)`,
      [entry.actor, entry.action, entry.classId ?? null, entry.labId ?? null, entry.detail === undefined ? null : JSON.stringify(entry.detail)],
    );
  }

  forLab(labId: string, take = 20) {
    return this.prisma.auditEvent.findMany({ where: { labId }, orderBy: { at: 'desc' }, take });
  }
}
