import { Injectable } from '@nestjs/common';
import { StepStatus } from './generated/enums';
import { PrismaService } from './prisma.service';
import { Batcher } from '../batching/batcher';

export { StepStatus };

/** How a passed step was passed (StepProgress.passedWith). */
export const PassedWith = { ownWork: 'own-work', solution: 'solution' } as const;
export type PassedWith = (typeof PassedWith)[keyof typeof PassedWith];

/** Timestamps are stored as UTC wall-clock time (timestamp without time zone), as Prisma writes them. */
const NOW = `(now() AT TIME ZONE 'UTC')`;

/**
 * A batch of attempts (Batcher: never two of one lab), one row of each array per
 * attempt: $1 labs, $2 steps, $3 passed, $4 answers (json or null), $5 checks (json),
 * $6 generations (or null). One row out per attempt, in order (n).
 */
const RECORD_ATTEMPTS = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::boolean[], $4::jsonb[], $5::jsonb[], $6::int[])
           WITH ORDINALITY AS i(lab_id, step_id, passed, answer, checks, generation, n)
  ), lab AS (
    UPDATE "Lab" l SET "lastActivityAt" = ${NOW}, "updatedAt" = ${NOW}
      FROM input i
     WHERE l.id = i.lab_id AND l.status = 'ready' AND (i.generation IS NULL OR l.generation = i.generation)
    RETURNING l.id
  ), attempt AS (
    INSERT INTO "VerificationAttempt" (id, "labId", "stepId", passed, answer, checks, "createdAt")
    SELECT gen_random_uuid(), i.lab_id, i.step_id, i.passed, i.answer, i.checks, ${NOW} FROM input i JOIN lab ON lab.id = i.lab_id
    RETURNING id, "labId"
  ), progress AS (
    INSERT INTO "StepProgress" AS p ("labId", "stepId", status, attempts, "passedAt", "passedWith", "updatedAt")
    SELECT i.lab_id, i.step_id, (CASE WHEN i.passed THEN 'passed' ELSE 'failed' END)::"StepStatus", 1,
           CASE WHEN i.passed THEN ${NOW} END, CASE WHEN i.passed THEN 'own-work' END, ${NOW}
      FROM input i JOIN lab ON lab.id = i.lab_id
    ON CONFLICT ("labId", "stepId") DO UPDATE SET
      attempts = p.attempts + 1,
      status = (CASE WHEN p.status = 'passed' OR EXCLUDED.status = 'passed' THEN 'passed' ELSE 'failed' END)::"StepStatus",
      "passedAt" = CASE WHEN p.status <> 'passed' AND EXCLUDED.status = 'passed' THEN ${NOW} ELSE p."passedAt" END,
      "passedWith" = CASE WHEN p.status <> 'passed' AND EXCLUDED.status = 'passed'
                          THEN CASE WHEN p."solutionRunAt" IS NOT NULL THEN 'solution' ELSE 'own-work' END
                          ELSE p."passedWith" END,
      "updatedAt" = ${NOW}
    RETURNING 1
  )
  SELECT a.id::text AS "attemptId", l.status::text AS "labStatus", l.generation,
         EXISTS (SELECT 1 FROM "LtiGradeTarget" g WHERE g."labId" = i.lab_id) AS graded
    FROM input i LEFT JOIN attempt a ON a."labId" = i.lab_id LEFT JOIN "Lab" l ON l.id = i.lab_id
   ORDER BY i.n`;

/** At most this many attempts in one statement; more wait for the next one. */
const MAX_ATTEMPTS = 200;

/** $1 lab, $2 step. */
const MARK_SOLUTION_RUN = `
  WITH touched AS (UPDATE "Lab" SET "lastActivityAt" = ${NOW}, "updatedAt" = ${NOW} WHERE id = $1::uuid)
  INSERT INTO "StepProgress" AS p ("labId", "stepId", "solutionRunAt", "updatedAt") VALUES ($1::uuid, $2::text, ${NOW}, ${NOW})
  ON CONFLICT ("labId", "stepId") DO UPDATE SET "solutionRunAt" = EXCLUDED."solutionRunAt", "updatedAt" = EXCLUDED."updatedAt"`;

type AttemptInput = { labId: string; stepId: string; passed: boolean; answer?: unknown; checks: unknown; generation?: number };
type AttemptRow = { attemptId: string | null; labStatus: string | null; generation: number | null; graded: boolean };

@Injectable()
export class ProgressRepository {
  /** Every verify stores through here: attempts that come together share a statement, never two of one lab. */
  private readonly attempts = new Batcher<AttemptInput, AttemptRow>((batch) => this.recordAttempts(batch), { maxItems: MAX_ATTEMPTS, key: (a) => a.labId });

  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores one verification attempt, moves the step's progress and marks the lab active,
   * in one statement, only while the lab is ready (and, with `generation`, still the lab
   * that was verified: a reset in between starts another one). The attempt count is
   * incremented in SQL (two verifies at once both count); a step once passed stays passed;
   * as it becomes passed, how is decided once: with the solution when the step's solution
   * was run since the last reset (`solutionRunAt`), else the student's own work (a row
   * created just now never had a run). A failed verify moves a pending step to failed.
   * Returns the attempt's id and whether the lab has an LMS to pass its grade to (an LTI
   * launch: the same statement tells), or null with the lab's status (null: no such lab)
   * and generation when nothing was stored.
   */
  async recordAttempt(input: AttemptInput): Promise<{ attemptId: string; graded: boolean } | { attemptId: null; labStatus: string | null; generation: number | null }> {
    const row = await this.attempts.submit(input);
    return row.attemptId ? { attemptId: row.attemptId, graded: row.graded } : { attemptId: null, labStatus: row.labStatus, generation: row.generation };
  }

  /** One statement for a batch of attempts (at most one per lab), one row per attempt in order. */
  private async recordAttempts(batch: AttemptInput[]): Promise<AttemptRow[]> {
    // Named: a prepared statement per pool connection, parsed and planned once (every verify runs it).
    const { rows } = await this.prisma.pool.query<AttemptRow>({
      name: 'record-attempts',
      text: RECORD_ATTEMPTS,
      values: [
        batch.map((a) => a.labId),
        batch.map((a) => a.stepId),
        batch.map((a) => a.passed),
        batch.map((a) => (a.answer === undefined ? null : JSON.stringify(a.answer))),
        batch.map((a) => JSON.stringify(a.checks)),
        batch.map((a) => a.generation ?? null),
      ],
    });
    return rows;
  }

  /**
   * The step's reference solution was run on the lab: a later pass counts as passed with
   * the solution. Also marks the lab active (a run is the student's activity), same statement.
   */
  async markSolutionRun(labId: string, stepId: string): Promise<void> {
    await this.prisma.pool.query(MARK_SOLUTION_RUN, [labId, stepId]);
  }

  /** A reset gives a fresh lab: solutions run before it no longer explain a pass after it. */
  async clearSolutionRuns(labId: string): Promise<void> {
    await this.prisma.stepProgress.updateMany({ where: { labId, solutionRunAt: { not: null } }, data: { solutionRunAt: null } });
  }

  /**
   * Starts a lab's progress over (an instructor's reset with clearProgress): every step
   * pending, no attempt counted (they also open the solution under the run policy).
   * Returns what was removed, for the audit trail.
   */
  async clearLab(labId: string): Promise<{ passedSteps: string[]; attempts: number }> {
    return this.prisma.$transaction(async (tx) => {
      const passed = await tx.stepProgress.findMany({ where: { labId, status: StepStatus.passed }, select: { stepId: true } });
      const { count } = await tx.verificationAttempt.deleteMany({ where: { labId } });
      await tx.stepProgress.deleteMany({ where: { labId } });
      return { passedSteps: passed.map((p) => p.stepId).sort(), attempts: count };
    });
  }

  /** Failed verifications of one step (they open its solution to a stuck student). */
  failedVerifies(labId: string, stepId: string): Promise<number> {
    return this.prisma.verificationAttempt.count({ where: { labId, stepId, passed: false } });
  }

  /** Failed verifications per step of a lab. */
  async failedVerifiesByStep(labId: string): Promise<Map<string, number>> {
    const rows = await this.prisma.verificationAttempt.groupBy({ by: ['stepId'], where: { labId, passed: false }, _count: { _all: true } });
    return new Map(rows.map((row) => [row.stepId, row._count._all]));
  }

  forLab(labId: string) {
    return this.prisma.stepProgress.findMany({ where: { labId } });
  }

  passedSteps(labId: string) {
    return this.prisma.stepProgress.findMany({ where: { labId, status: StepStatus.passed }, select: { stepId: true } });
  }

  attempt(id: string) {
    return this.prisma.verificationAttempt.findUnique({ where: { id } });
  }
}
