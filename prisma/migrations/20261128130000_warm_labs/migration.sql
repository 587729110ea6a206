-- AlterTable
ALTER TABLE "Class" ADD COLUMN     "startsAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Lab" ADD COLUMN     "claimedAt" TIMESTAMP(3),
ADD COLUMN     "warmPool" TEXT,
ALTER COLUMN "classId" DROP NOT NULL,
ALTER COLUMN "studentId" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "Lab_warmPool_hostId_status_idx" ON "Lab"("warmPool", "hostId", "status");


-- Warm labs (hand-written, prisma migrate diff does not model these).
-- A lab has both a class and a student, or neither (a warm lab, not yet claimed).
ALTER TABLE "Lab" ADD CONSTRAINT "Lab_warm_or_owned" CHECK (("classId" IS NULL) = ("studentId" IS NULL));

-- A lab once given to a student is never given back to the pool nor to anyone else:
-- whatever the code does the database refuses to change a class or student once set.
CREATE FUNCTION lab_claim_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD."classId" IS NOT NULL AND NEW."classId" IS DISTINCT FROM OLD."classId")
     OR (OLD."studentId" IS NOT NULL AND NEW."studentId" IS DISTINCT FROM OLD."studentId") THEN
    RAISE EXCEPTION 'lab %: a lab given to a student is never given back nor to another student', OLD.id;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER lab_claim_is_final BEFORE UPDATE OF "classId", "studentId" ON "Lab"
  FOR EACH ROW EXECUTE FUNCTION lab_claim_is_final();
