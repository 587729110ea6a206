import { Injectable } from '@nestjs/common';
import { InterfacePrefix, Purpose } from '../allocation/lab-resources';
import { AllocationKind } from './generated/enums';
import { isUniqueViolation } from './prisma-errors';
import { PrismaService } from './prisma.service';

export { AllocationKind };

/** Raised when a host has no free value left of one kind. */
export class PoolExhaustedError extends Error {}

/** How long a value the engine refused (AllocationBlock) is skipped before it is tried again. */
export const BLOCK_HOURS = 1;

/** Where a lab's values come from, and where the scan for free ones starts. */
export interface LabClaim {
  labId: string;
  /** Allocation domain: a host id, or "shared" when all hosts share one kernel. */
  hostId: string;
  /** First address of the subnet pool and how many /24s it holds. */
  subnetBase: string;
  subnetCount: number;
  portMin: number;
  portMax: number;
  /**
   * Index in each range where the scan for a free value starts. Random per lab: labs
   * claiming at once then rarely want the same value (with a fixed start, 30 labs at once
   * would all want the first free subnet and all but one retry, again and again).
   */
  subnetStart: number;
  portStart: number;
}

type Row = { purpose: string; value: string };

@Injectable()
export class AllocationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Gives the lab everything it needs on the host in one statement: two /24 subnets (its
   * default bridge, its `chat` network), the bridge interface names that follow from them
   * (lab-resources.ts), and a host port; returns every row the lab holds. Idempotent: what
   * the lab already holds is returned as is and only missing purposes are filled (a
   * retried job converges). The unique constraints are the guarantee: one INSERT puts all
   * rows or none, so a value another lab took meanwhile fails the whole statement, which
   * is then run again on a fresh snapshot (that lab's rows visible).
   */
  async claimLab(claim: LabClaim, attempts = 10): Promise<Row[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = await this.claimOnce(attempt === 1 ? claim : { ...claim, ...randomStarts(claim) });
        const exhausted = rows.filter((r) => r.value === null).map((r) => r.purpose);
        if (exhausted.length) throw new PoolExhaustedError(`no free value left on host ${claim.hostId} for ${exhausted.join(', ')}`);
        const held = rows as Row[];
        const missing = Object.values(Purpose).filter((p) => !held.some((r) => r.purpose === p));
        if (missing.length) throw new Error(`lab ${claim.labId}: allocations incomplete after claiming them (${missing.join(', ')})`);
        return held;
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= attempts) throw error;
      }
    }
  }

  /** The lab's rows; a purpose with a null value: its range has nothing free (then nothing was inserted). */
  private claimOnce(c: LabClaim): Promise<{ purpose: string; value: string | null }[]> {
    const portCount = c.portMax - c.portMin + 1;
    return this.prisma.$queryRaw<{ purpose: string; value: string | null }[]>`
      WITH held AS (
        SELECT purpose, value FROM "Allocation" WHERE "labId" = ${c.labId}::uuid
      ),
      taken_subnets AS (
        SELECT value FROM "Allocation" WHERE "hostId" = ${c.hostId} AND kind = 'subnet'
        UNION ALL
        SELECT value FROM "AllocationBlock"
         WHERE "hostId" = ${c.hostId} AND kind = 'subnet' AND "blockedAt" > now() - make_interval(hours => ${BLOCK_HOURS}::int)
      ),
      new_subnets AS (
        SELECT value, row_number() OVER () AS n FROM (
          SELECT host(${c.subnetBase}::inet + (((g.i + ${c.subnetStart}::int) % ${c.subnetCount}::int) * 256)::bigint) || '/24' AS value
            FROM generate_series(0, ${c.subnetCount}::int - 1) AS g(i)
           WHERE (SELECT count(*) FROM held WHERE purpose IN (${Purpose.BridgeSubnet}::text, ${Purpose.ChatSubnet}::text)) < 2
        ) candidate
        WHERE candidate.value NOT IN (SELECT value FROM taken_subnets)
        LIMIT 2
      ),
      new_port AS (
        SELECT candidate.value FROM (
          SELECT (${c.portMin}::int + (g.i + ${c.portStart}::int) % ${portCount}::int)::text AS value
            FROM generate_series(0, ${portCount}::int - 1) AS g(i)
           WHERE NOT EXISTS (SELECT 1 FROM held WHERE purpose = ${Purpose.HttpdPort}::text)
        ) candidate
        WHERE candidate.value NOT IN (SELECT value FROM "Allocation" WHERE "hostId" = ${c.hostId} AND kind = 'port')
        LIMIT 1
      ),
      bridge AS (
        SELECT coalesce((SELECT value FROM held WHERE purpose = ${Purpose.BridgeSubnet}::text), (SELECT value FROM new_subnets WHERE n = 1)) AS v
      ),
      chat AS (
        SELECT coalesce(
          (SELECT value FROM held WHERE purpose = ${Purpose.ChatSubnet}::text),
          (SELECT value FROM new_subnets WHERE n = CASE WHEN EXISTS (SELECT 1 FROM held WHERE purpose = ${Purpose.BridgeSubnet}::text) THEN 1 ELSE 2 END)
        ) AS v
      ),
      wanted (purpose, kind, value) AS (
        SELECT ${Purpose.BridgeSubnet}::text, 'subnet', v FROM bridge
        UNION ALL SELECT ${Purpose.ChatSubnet}::text, 'subnet', v FROM chat
        -- Interface names from the subnet's second and third octets (bridgeInterfaceName).
        UNION ALL SELECT ${Purpose.BridgeInterface}::text, 'bridge', ${InterfacePrefix.bridge}::text || (((v::inet - '0.0.0.0'::inet) >> 8) & 65535)::text FROM bridge
        UNION ALL SELECT ${Purpose.ChatInterface}::text, 'bridge', ${InterfacePrefix.chat}::text || (((v::inet - '0.0.0.0'::inet) >> 8) & 65535)::text FROM chat
        UNION ALL SELECT ${Purpose.HttpdPort}::text, 'port', coalesce((SELECT value FROM held WHERE purpose = ${Purpose.HttpdPort}::text), (SELECT value FROM new_port))
      ),
      inserted AS (
        -- All or nothing: a lab never holds part of its values because a range ran out.
        INSERT INTO "Allocation" (id, "hostId", kind, value, "labId", purpose)
        SELECT gen_random_uuid(), ${c.hostId}, w.kind::"AllocationKind", w.value, ${c.labId}::uuid, w.purpose
          FROM wanted w
         WHERE NOT EXISTS (SELECT 1 FROM held h WHERE h.purpose = w.purpose)
           AND NOT EXISTS (SELECT 1 FROM wanted n WHERE n.value IS NULL)
        RETURNING purpose, value
      )
      SELECT purpose, value FROM held
      UNION ALL
      SELECT purpose, value FROM inserted
      UNION ALL
      SELECT purpose, NULL FROM wanted WHERE value IS NULL`;
  }

  /**
   * Records that the engine refused a subnet for a reason outside NetLabs' allocations, so
   * that claimLab skips it for BLOCK_HOURS (seen again: the clock starts again).
   */
  async blockSubnet(hostId: string, subnet: string, reason: string): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO "AllocationBlock" ("hostId", kind, value, reason) VALUES (${hostId}, 'subnet', ${subnet}, ${reason.slice(0, 500)})
      ON CONFLICT ("hostId", kind, value) DO UPDATE SET reason = EXCLUDED.reason, "blockedAt" = now()`;
  }

  forLab(labId: string) {
    return this.prisma.allocation.findMany({ where: { labId } });
  }

  async releaseLab(labId: string): Promise<number> {
    const { count } = await this.prisma.allocation.deleteMany({ where: { labId } });
    return count;
  }

  /**
   * Frees allocations held by labs that own nothing any more (failed or destroyed), except
   * those of labs whose teardown left objects on the engine (Lab.leaked): a leaked network
   * still holds its subnet and bridge name there.
   */
  async releaseOrphans(): Promise<number> {
    const { count } = await this.prisma.allocation.deleteMany({ where: { lab: { status: { in: ['failed', 'destroyed'] }, leaked: null } } });
    return count;
  }
}

/** Random scan starts for a retry: whatever collided the first time is not wanted again by the same labs. */
export function randomStarts(claim: Pick<LabClaim, 'subnetCount' | 'portMin' | 'portMax'>): Pick<LabClaim, 'subnetStart' | 'portStart'> {
  return {
    subnetStart: Math.floor(Math.random() * claim.subnetCount),
    portStart: Math.floor(Math.random() * (claim.portMax - claim.portMin + 1)),
  };
}
