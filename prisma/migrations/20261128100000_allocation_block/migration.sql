-- CreateTable
CREATE TABLE "AllocationBlock" (
    "hostId" TEXT NOT NULL,
    "kind" "AllocationKind" NOT NULL,
    "value" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "blockedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AllocationBlock_pkey" PRIMARY KEY ("hostId","kind","value")
);

