import { Injectable } from '@nestjs/common';
import { StepStatus } from './generated/enums';
import { PrismaService } from './prisma.service';

export { StepStatus };

/** How a passed step was passed (StepProgress.passedWith). */
export const PassedWith = { ownWork: 'own-work', solution: 'solution' } as const;
export type PassedWith = (typeof PassedWith)[keyof typeof PassedWith];

@Injectable()
export class ProgressRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores one verification attempt and moves the step's progress, atomically: the
   * attempt count is incremented in SQL (two verifies at once both count), and a step
   * once passed stays passed.
   */
  async recordAttempt(input: { labId: string; stepId: string; passed: boolean; answer?: unknown; checks: unknown }): Promise<string> {
    return this.prisma.$transaction(async (tx) => {
      const attempt = await tx.verificationAttempt.create({
        data: {
          labId: input.labId,
          stepId: input.stepId,
          passed: input.passed,
          answer: input.answer === undefined ? undefined : (input.answer as object),
          checks: input.checks as object,
        },
      });
      const now = new Date();
      await tx.stepProgress.upsert({
        where: { labId_stepId: { labId: input.labId, stepId: input.stepId } },
        create: {
          labId: input.labId,
          stepId: input.stepId,
          attempts: 1,
          status: input.passed ? StepStatus.passed : StepStatus.failed,
          passedAt: input.passed ? now : null,
          // No row yet: no solution was ever run on this step.
          passedWith: input.passed ? PassedWith.ownWork : null,
        },
        update: { attempts: { increment: 1 } },
      });
      if (input.passed) {
        // How it was passed, decided once, as it becomes passed: with the solution when the
        // step's solution was run since the last reset (a row created just now never had one).
        const notYet = { labId: input.labId, stepId: input.stepId, status: { not: StepStatus.passed } };
        await tx.stepProgress.updateMany({ where: { ...notYet, solutionRunAt: { not: null } }, data: { status: StepStatus.passed, passedAt: now, passedWith: PassedWith.solution } });
        await tx.stepProgress.updateMany({ where: notYet, data: { status: StepStatus.passed, passedAt: now, passedWith: PassedWith.ownWork } });
      } else {
        await tx.stepProgress.updateMany({
          where: { labId: input.labId, stepId: input.stepId, status: StepStatus.pending },
          data: { status: StepStatus.failed },
        });
      }
      return attempt.id;
    });
  }

  /** The step's reference solution was run on the lab: a later pass counts as passed with the solution. */
  async markSolutionRun(labId: string, stepId: string): Promise<void> {
    const now = new Date();
    await this.prisma.stepProgress.upsert({
      where: { labId_stepId: { labId, stepId } },
      create: { labId, stepId, solutionRunAt: now },
      update: { solutionRunAt: now },
    });
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
