-- AlterTable
ALTER TABLE "Lab" ADD COLUMN     "generation" INTEGER NOT NULL DEFAULT 0;
