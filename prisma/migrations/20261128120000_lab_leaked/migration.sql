-- AlterTable
ALTER TABLE "Lab" ADD COLUMN     "leaked" TEXT;

