-- AlterTable
ALTER TABLE "DockerHost" ADD COLUMN     "cpus" INTEGER,
ADD COLUMN     "memoryBytes" BIGINT,
ADD COLUMN     "resourcesAt" TIMESTAMP(3);

