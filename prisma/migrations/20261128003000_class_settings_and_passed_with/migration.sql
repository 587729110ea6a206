-- AlterTable
ALTER TABLE "Class" ADD COLUMN     "language" TEXT NOT NULL DEFAULT 'fr',
ADD COLUMN     "runAfterFailures" INTEGER NOT NULL DEFAULT 3,
ADD COLUMN     "runPolicy" TEXT NOT NULL DEFAULT 'after-failures';

-- AlterTable
ALTER TABLE "StepProgress" ADD COLUMN     "passedWith" TEXT,
ADD COLUMN     "solutionRunAt" TIMESTAMP(3);

