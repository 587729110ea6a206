-- AlterTable
ALTER TABLE "Lab" ADD COLUMN     "deployment" TEXT;

-- Warm labs already say which deployment keeps them; other existing labs stay null (counted by every deployment).
UPDATE "Lab" SET "deployment" = "warmPool" WHERE "warmPool" IS NOT NULL;
