import { Injectable } from '@nestjs/common';
import { StepStatus } from './generated/enums';
import { PrismaService } from './prisma.service';

export { StepStatus };

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
        },
        update: { attempts: { increment: 1 } },
      });
      if (input.passed) {
        await tx.stepProgress.updateMany({
          where: { labId: input.labId, stepId: input.stepId, status: { not: StepStatus.passed } },
          data: { status: StepStatus.passed, passedAt: now },
        });
      } else {
        await tx.stepProgress.updateMany({
          where: { labId: input.labId, stepId: input.stepId, status: StepStatus.pending },
          data: { status: StepStatus.failed },
        });
      }
      return attempt.id;
    });
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
