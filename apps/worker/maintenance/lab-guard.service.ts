import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { LABEL_DEPLOYMENT } from '../../../libs/docker/lab-scope';
import type { ContainerUsage, TenantDocker } from '../../../libs/docker/tenant-docker';
import { AuditRepository } from '../../../libs/persistence/audit.repository';
import { LabRepository } from '../../../libs/persistence/lab.repository';

const MB = 1024 * 1024;

export interface GuardReport {
  stopped: number;
  flagged: number;
}

/**
 * Watches what lab containers use where the engine cannot enforce it, on the maintenance
 * queue (one patrol at a time per worker, run with the reconciler):
 *  - disk: a container whose writable layer grew past LAB_DISK_MB is stopped (where the
 *    storage driver enforces the size, docker-usage.ts, it never gets there);
 *  - processes: a container at its pids limit for LAB_PIDS_FLAG_AFTER_MS is flagged.
 * Each is logged, recorded as an incident, and shown on the lab (failureReason, in
 * GET /labs/:id and the class view) in words the student can act on.
 * When the pids limit was first seen is kept in this worker's memory: with several
 * workers a lab may be flagged later, never wrongly.
 */
@Injectable()
export class LabGuardService {
  private readonly logger = new Logger(LabGuardService.name);
  /** Container id -> when it was first seen at its pids limit (this episode). */
  private readonly atPidsLimitSince = new Map<string, number>();
  /** Containers flagged in their current episode at the limit: flagged once, not every patrol. */
  private readonly flagged = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hosts: DockerHostPool,
    private readonly labs: LabRepository,
    private readonly audit: AuditRepository,
  ) {}

  async patrol(now = Date.now()): Promise<GuardReport> {
    const report: GuardReport = { stopped: 0, flagged: 0 };
    const seen = new Set<string>();
    for (const host of this.hosts.all()) {
      let usage: ContainerUsage[];
      try {
        usage = await host.usage({ key: LABEL_DEPLOYMENT, value: this.config.DEPLOYMENT_ID });
      } catch (error) {
        // A host that does not answer is the reconciler's business.
        this.logger.debug(`usage of host ${host.hostId}: ${String(error)}`);
        continue;
      }
      for (const container of usage) {
        seen.add(container.id);
        if (await this.overDisk(host, container)) report.stopped++;
        else if (await this.stuckAtPidsLimit(container, now)) report.flagged++;
      }
    }
    for (const id of this.atPidsLimitSince.keys()) if (!seen.has(id)) this.forget(id);
    if (report.stopped || report.flagged) this.logger.warn(`lab guard: ${report.stopped} container(s) stopped for disk, ${report.flagged} flagged at their pids limit`);
    return report;
  }

  private async overDisk(host: TenantDocker, container: ContainerUsage): Promise<boolean> {
    const limit = this.config.LAB_DISK_MB;
    if (!container.running || container.sizeRwBytes <= limit * MB) return false;
    const written = Math.round(container.sizeRwBytes / MB);
    await host.stopContainerById(container.id);
    await this.record(container, `container ${container.name} was stopped: it wrote ${written} MB to its disk, more than the ${limit} MB a lab container may write. Remove it (docker rm ${container.name}) or reset the lab; starting it again stops it again.`, {
      kind: 'disk',
      sizeRwBytes: container.sizeRwBytes,
      limitMb: limit,
    });
    return true;
  }

  private async stuckAtPidsLimit(container: ContainerUsage, now: number): Promise<boolean> {
    const { pids, pidsLimit } = container;
    // A fork bomb holds the count at the limit; a little slack for processes exiting as the sample is taken.
    const atLimit = container.running && pids !== undefined && !!pidsLimit && pidsLimit > 0 && pids >= pidsLimit * 0.95;
    if (!atLimit) {
      this.forget(container.id);
      return false;
    }
    const since = this.atPidsLimitSince.get(container.id) ?? now;
    this.atPidsLimitSince.set(container.id, since);
    if (this.flagged.has(container.id) || now - since < this.config.LAB_PIDS_FLAG_AFTER_MS) return false;
    this.flagged.add(container.id);
    const minutes = Math.max(1, Math.round((now - since) / 60_000));
    await this.record(container, `container ${container.name} has been at its limit of ${pidsLimit} processes for ${minutes} min or more (a fork bomb?): nothing new can start in it. Restart it (docker restart ${container.name}) or reset the lab.`, {
      kind: 'pids',
      pids,
      pidsLimit,
      sinceMs: now - since,
    });
    return true;
  }

  private forget(id: string): void {
    this.atPidsLimitSince.delete(id);
    this.flagged.delete(id);
  }

  private async record(container: ContainerUsage, message: string, detail: Record<string, unknown>): Promise<void> {
    this.logger.warn(`lab ${container.labId}: ${message}`);
    const lab = await this.labs.findById(container.labId);
    if (!lab) return;
    await this.audit.record({ actor: 'lab-guard', action: 'incident', labId: lab.id, classId: lab.classId ?? undefined, detail: { container: container.name, message, ...detail } });
    await this.labs.noteIncident(lab.id, message);
  }
}
