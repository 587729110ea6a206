-- A host record is one deployment's view of one of its Docker hosts: deployments sharing a
-- database (test runs side by side, a staging NetLabs beside production) may all call their
-- engine "local", and one's failed ping must not mark the others' host down. Existing rows keep
-- an empty deployment and are no one's; each deployment records its hosts again at its next reconcile.
ALTER TABLE "DockerHost" ADD COLUMN "deployment" TEXT NOT NULL DEFAULT '';
ALTER TABLE "DockerHost" ALTER COLUMN "deployment" DROP DEFAULT;
ALTER TABLE "DockerHost" DROP CONSTRAINT "DockerHost_pkey";
ALTER TABLE "DockerHost" ADD CONSTRAINT "DockerHost_pkey" PRIMARY KEY ("deployment", "id");
