import { Injectable } from '@nestjs/common';
import { StepStatus } from './generated/enums';
import { PrismaService } from './prisma.service';

export { StepStatus };

/** How a passed step was passed (StepProgress.passedWith). */
export const PassedWith = { ownWork: 'own-work', solution: 'solution' } as const;
export type PassedWith = (typeof PassedWith)[keyof typeof PassedWith];

/** Timestamps are stored as UTC wall-clock time (timestamp without time zone), as Prisma writes them. */
const NOW = `(now() AT TIME ZONE 'UTC')`;

/** $1 lab, $2 step, $3 passed, $4 answer (json or null), $5 checks (json), $6 generation or null. */
const RECORD_ATTEMPT = `
  WITH lab AS (
    UPDATE "Lab" SET "lastActivityAt" = ${NOW}, "updatedAt" = ${NOW}
     WHERE id = $1::uuid AND status = 'ready' AND ($6::int IS NULL OR generation = $6::int)
    RETURNING id
  ), attempt AS (
    INSERT INTO "VerificationAttempt" (id, "labId", "stepId", passed, answer, checks, "createdAt")
    SELECT gen_random_uuid(), lab.id, $2::text, $3::boolean, $4::jsonb, $5::jsonb, ${NOW} FROM lab
    RETURNING id
  ), progress AS (
    INSERT INTO "StepProgress" AS p ("labId", "stepId", status, attempts, "passedAt", "passedWith", "updatedAt")
    SELECT lab.id, $2::text, (CASE WHEN $3::boolean THEN 'passed' ELSE 'failed' END)::"StepStatus", 1,
           CASE WHEN $3::boolean THEN ${NOW} END, CASE WHEN $3::boolean THEN 'own-work' END, ${NOW}
      FROM lab
    ON CONFLICT ("labId", "stepId") DO UPDATE SET
      attempts = p.attempts + 1,
      status = (CASE WHEN p.status = 'passed' OR $3::boolean THEN 'passed' ELSE 'failed' END)::"StepStatus",
      "passedAt" = CASE WHEN p.status <> 'passed' AND $3::boolean THEN ${NOW} ELSE p."passedAt" END,
      "passedWith" = CASE WHEN p.status <> 'passed' AND $3::boolean
                          THEN CASE WHEN p."solutionRunAt" IS NOT NULL THEN 'solution' ELSE 'own-work' END
                          ELSE p."passedWith" END,
      "updatedAt" = ${NOW}
    RETURNING 1
  )
  SELECT (SELECT id::text FROM attempt) AS "attemptId", l.status::text AS "labStatus", l.generation,
         EXISTS (SELECT 1 FROM "LtiGradeTarget" g WHERE g."labId" = $1::uuid) AS graded
    FROM (SELECT 1) AS one LEFT JOIN "Lab" l ON l.id = $1::uuid`;

/** $1 lab, $2 step. */
const MARK_SOLUTION_RUN = `
  WITH touched AS (UPDATE "Lab" SET "lastActivityAt" = ${NOW}, "updatedAt" = ${NOW} WHERE id = $1::uuid)
  INSERT INTO "StepProgress" AS p ("labId", "stepId", "solutionRunAt", "updatedAt") VALUES ($1::uuid, $2::text, ${NOW}, ${NOW})
  ON CONFLICT ("labId", "stepId") DO UPDATE SET "solutionRunAt" = EXCLUDED."solutionRunAt", "updatedAt" = EXCLUDED."updatedAt"`;

@Injectable()
export class ProgressRepository {
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
  async recordAttempt(input: {
    labId: string;
    stepId: string;
    passed: boolean;
    answer?: unknown;
    checks: unknown;
    generation?: number;
  }): Promise<{ attemptId: string; graded: boolean } | { attemptId: null; labStatus: string | null; generation: number | null }> {
    // Named: a prepared statement per pool connection, parsed and planned once (every verify runs it).
    const { rows } = await this.prisma.pool.query<{ attemptId: string | null; labStatus: string | null; generation: number | null; graded: boolean }>({
      name: 'record-attempt',
      text: RECORD_ATTEMPT,
      values: [input.labId, input.stepId, input.passed, input.answer === undefined ? null : JSON.stringify(input.answer), JSON.stringify(input.checks), input.generation ?? null],
    });
    const row = rows[0];
    return row.attemptId ? { attemptId: row.attemptId, graded: row.graded } : { attemptId: null, labStatus: row.labStatus, generation: row.generation };
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
