import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

export type AuditEntry = {
  actor: string;
  action: string;
  classId?: string;
  labId?: string;
  detail?: Record<string, unknown>;
};

type Waiting = { entry: AuditEntry; done: (error?: unknown) => void };

/** At most this many rows in one statement; more wait for the next one. */
const MAX_ROWS = 500;

/** Every entry of a batch in one statement (arrays, so the text is the same whatever the size: prepared once). */
const INSERT_MANY = `
  INSERT INTO "AuditEvent" (id, at, actor, action, "classId", "labId", detail)
  SELECT gen_random_uuid(), now() AT TIME ZONE 'UTC', e.actor, e.action, e.class_id, e.lab_id, e.detail
    FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::jsonb[]) AS e(actor, action, class_id, lab_id, detail)`;

/** Who did what to which lab; also where the reconciler records incidents it saw. */
@Injectable()
export class AuditRepository {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly prisma: PrismaService) {}

  /**
   * One row per change request (every verify among them), written on the pool (the ORM's CPU
   * cost is not worth it here). Rows that come while a write is in flight go together in the
   * next statement: a class verifying at once costs a few inserts, not one per student. Alone,
   * a row is written at once, as before. Resolves once its row is stored.
   */
  record(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, done: (error) => (error === undefined ? resolve() : reject(error)) });
      void this.writeWaiting();
    });
  }

  forLab(labId: string, take = 20) {
    return this.prisma.auditEvent.findMany({ where: { labId }, orderBy: { at: 'desc' }, take });
  }

  private async writeWaiting(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, MAX_ROWS);
        try {
          await this.insert(batch.map((w) => w.entry));
          for (const w of batch) w.done();
        } catch (error) {
          // One row Postgres refuses must not take the others with it: each alone, then.
          if (batch.length === 1) batch[0].done(error ?? new Error('audit insert failed'));
          else for (const w of batch) await this.insert([w.entry]).then(() => w.done(), (e: unknown) => w.done(e ?? new Error('audit insert failed')));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async insert(entries: AuditEntry[]): Promise<void> {
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
  }
}
