-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "LabStatus" AS ENUM ('provisioning', 'ready', 'failed', 'destroying', 'destroyed');

-- CreateEnum
CREATE TYPE "AllocationKind" AS ENUM ('subnet', 'bridge', 'port');

-- CreateEnum
CREATE TYPE "StepStatus" AS ENUM ('pending', 'passed', 'failed');

-- CreateEnum
CREATE TYPE "HostStatus" AS ENUM ('up', 'down');

-- CreateTable
CREATE TABLE "Class" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "labDefinitionId" TEXT NOT NULL,
    "labTtlMinutes" INTEGER NOT NULL DEFAULT 240,
    "idleMinutes" INTEGER NOT NULL DEFAULT 60,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "Class_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Student" (
    "id" UUID NOT NULL,
    "classId" UUID NOT NULL,
    "externalId" TEXT NOT NULL,
    "displayName" TEXT,
    "tokenHash" TEXT NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Student_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Lab" (
    "id" UUID NOT NULL,
    "classId" UUID NOT NULL,
    "studentId" UUID NOT NULL,
    "labDefinitionId" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hostId" TEXT,
    "status" "LabStatus" NOT NULL DEFAULT 'provisioning',
    "failureReason" TEXT,
    "endReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "readyAt" TIMESTAMP(3),
    "destroyedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "lastActivityAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lab_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Allocation" (
    "id" UUID NOT NULL,
    "hostId" TEXT NOT NULL,
    "kind" "AllocationKind" NOT NULL,
    "value" TEXT NOT NULL,
    "labId" UUID NOT NULL,
    "purpose" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Allocation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StepProgress" (
    "labId" UUID NOT NULL,
    "stepId" TEXT NOT NULL,
    "status" "StepStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "passedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StepProgress_pkey" PRIMARY KEY ("labId","stepId")
);

-- CreateTable
CREATE TABLE "VerificationAttempt" (
    "id" UUID NOT NULL,
    "labId" UUID NOT NULL,
    "stepId" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "answer" JSONB,
    "checks" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VerificationAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DockerHost" (
    "id" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "status" "HostStatus" NOT NULL DEFAULT 'up',
    "lastSeenAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DockerHost_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TerminalSession" (
    "id" UUID NOT NULL,
    "labId" UUID NOT NULL,
    "container" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "openedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "endReason" TEXT,
    "bytesIn" BIGINT NOT NULL DEFAULT 0,
    "bytesOut" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "TerminalSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "classId" UUID,
    "labId" UUID,
    "detail" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Student_tokenHash_key" ON "Student"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "Student_classId_externalId_key" ON "Student"("classId", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "Lab_studentId_key" ON "Lab"("studentId");

-- CreateIndex
CREATE UNIQUE INDEX "Lab_prefix_key" ON "Lab"("prefix");

-- CreateIndex
CREATE INDEX "Lab_status_idx" ON "Lab"("status");

-- CreateIndex
CREATE INDEX "Lab_classId_idx" ON "Lab"("classId");

-- CreateIndex
CREATE UNIQUE INDEX "Allocation_hostId_kind_value_key" ON "Allocation"("hostId", "kind", "value");

-- CreateIndex
CREATE UNIQUE INDEX "Allocation_labId_purpose_key" ON "Allocation"("labId", "purpose");

-- CreateIndex
CREATE INDEX "VerificationAttempt_labId_stepId_idx" ON "VerificationAttempt"("labId", "stepId");

-- CreateIndex
CREATE INDEX "TerminalSession_labId_idx" ON "TerminalSession"("labId");

-- CreateIndex
CREATE INDEX "AuditEvent_labId_idx" ON "AuditEvent"("labId");

-- AddForeignKey
ALTER TABLE "Student" ADD CONSTRAINT "Student_classId_fkey" FOREIGN KEY ("classId") REFERENCES "Class"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Lab" ADD CONSTRAINT "Lab_classId_fkey" FOREIGN KEY ("classId") REFERENCES "Class"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Lab" ADD CONSTRAINT "Lab_studentId_fkey" FOREIGN KEY ("studentId") REFERENCES "Student"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Allocation" ADD CONSTRAINT "Allocation_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StepProgress" ADD CONSTRAINT "StepProgress_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VerificationAttempt" ADD CONSTRAINT "VerificationAttempt_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TerminalSession" ADD CONSTRAINT "TerminalSession_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

