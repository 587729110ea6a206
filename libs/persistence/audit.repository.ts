import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { Batcher } from '../batching/batcher';

export type AuditEntry = {
  actor: string;
  action: string;
  classId?: string;
  labId?: string;
  detail?: Record<string, unknown>;
};

/** At most this many rows in one statement; more wait for the next one. */
const MAX_ROWS = 500;
/** How long a row waits for others before it is written (nobody waits for it: the answer went out). */
const GATHER_MS = 50;

/** Every entry of a batch in one statement (arrays, so the text is the same whatever the size: prepared once). */
const INSERT_MANY = `
  INSERT INTO "AuditEvent" (id, at, actor, action, "classId", "labId", detail)
  SELECT gen_random_uuid(), now() AT TIME ZONE 'UTC', e.actor, e.action, e.class_id, e.lab_id, e.detail
    FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::jsonb[]) AS e(actor, action, class_id, lab_id, detail)`;

/** Who did what to which lab; also where the reconciler records incidents it saw. */
@Injectable()
export class AuditRepository implements OnModuleDestroy {
  private readonly rows = new Batcher<AuditEntry, void>((entries) => this.insert(entries), { maxItems: MAX_ROWS, gatherMs: GATHER_MS });

  constructor(private readonly prisma: PrismaService) {}

  /**
   * One row per change request (every verify among them), written on the pool (the ORM's CPU
   * cost is not worth it here). Rows that come while a write is in flight go together in the
   * next statement (Batcher), and a row waits GATHER_MS for others first: a class
   * verifying at once costs a few inserts, not one per student. Resolves once its row is stored.
   */
  record(entry: AuditEntry): Promise<void> {
    return this.rows.submit(entry);
  }

  /** Rows still gathering go out now, while the pool is open (they would be lost with it). */
  onModuleDestroy(): void {
    this.rows.flush();
  }

  forLab(labId: string, take = 20) {
    return this.prisma.auditEvent.findMany({ where: { labId }, orderBy: { at: 'desc' }, take });
  }

  private async insert(entries: AuditEntry[]): Promise<void[]> {
    await this.prisma.pool.query({
      name: 'audit-insert',
      text: INSERT_MANY,
      values: [
        entries.map((e) => e.actor),
        entries.map((e) => e.action),
        entries.map((e) => e.classId ?? null),
        entries.map((e) => e.labId ?? null),
        entries.map((e) => (e.detail === undefined ? null : JSON.stringify(e.detail))),
      ],
    });
    return entries.map(() => undefined);
  }
}
