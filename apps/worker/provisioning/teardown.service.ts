import { Injectable, Logger } from '@nestjs/common';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import type { LabRemoval, LeakedObject } from '../../../libs/docker/tenant-docker';
import { LabEvents } from '../../../libs/events/lab-events';
import { AuditRepository } from '../../../libs/persistence/audit.repository';
import { LabRepository, type TeardownLab } from '../../../libs/persistence/lab.repository';
import { type EndReason, type JobResults, JobName } from '../../../libs/queue/jobs';

type Totals = { destroyed: number; leaked: number; removed: { containers: number; networks: number } };

/** The words stored on a lab (Lab.leaked) for what its teardown left on the engine. */
export function describeLeak(leaked: LeakedObject[]): string {
  return leaked.map((o) => `${o.kind} ${o.engineName} (${o.id.slice(0, 12)}): ${o.reason}`).join('; ');
}

/**
 * Removes everything labs own on their hosts and frees their allocations; progress rows
 * stay. A class is torn down in one job: its labs go to destroying in one statement,
 * each host removes all of its labs' objects at once (TenantDocker.removeLabs), and the
 * labs become destroyed with their allocations freed in one transaction.
 *
 * A network the engine keeps refusing to remove does not leave its lab destroying
 * forever: the lab is destroyed with what was left recorded (Lab.leaked, an audit
 * incident) and keeps its allocations, so its subnet stays out of use until the
 * reconciler has removed the network (ReconcilerService).
 */
@Injectable()
export class TeardownService {
  private readonly logger = new Logger(TeardownService.name);

  constructor(
    private readonly labs: LabRepository,
    private readonly hosts: DockerHostPool,
    private readonly audit: AuditRepository,
    private readonly events: LabEvents,
  ) {}

  async teardown(labId: string, reason: EndReason): Promise<JobResults[JobName.TeardownLab]> {
    const labs = await this.labs.beginTeardown({ ids: [labId] }, reason);
    if (!labs.length) return { outcome: 'skipped' };
    const totals = await this.destroy(labs, reason);
    this.logger.log(`lab ${labId} destroyed (${reason}): ${totals.removed.containers} containers, ${totals.removed.networks} networks`);
    return { outcome: 'destroyed', removed: totals.removed, leaked: totals.leaked };
  }

  /** Every lab of the class not destroyed yet; a retried job picks up the ones a failure left. */
  async teardownClass(classId: string, reason: EndReason): Promise<JobResults[JobName.TeardownClass]> {
    const labs = await this.labs.beginTeardown({ classId }, reason);
    if (!labs.length) return { outcome: 'skipped', labs: 0, leaked: 0, removed: { containers: 0, networks: 0 } };
    const totals = await this.destroy(labs, reason);
    this.logger.log(`class ${classId}: ${totals.destroyed} labs destroyed (${reason}), ${totals.removed.containers} containers, ${totals.removed.networks} networks${totals.leaked ? `, ${totals.leaked} labs leaked objects` : ''}`);
    return { outcome: 'destroyed', labs: totals.destroyed, leaked: totals.leaked, removed: totals.removed };
  }

  /**
   * Labs already marked destroying: removes their objects host by host (hosts in
   * parallel), then records the outcome. Labs of a host that failed stay destroying and
   * the error is thrown once the others are recorded: the job's retry takes them again.
   */
  private async destroy(labs: TeardownLab[], reason: EndReason): Promise<Totals> {
    await this.publish(labs, 'destroying', reason);
    const byHost = new Map<string | null, TeardownLab[]>();
    for (const lab of labs) byHost.set(lab.hostId, [...(byHost.get(lab.hostId) ?? []), lab]);
    const outcomes = await Promise.allSettled(
      [...byHost].map(async ([hostId, group]): Promise<LabRemoval[]> => {
        // A lab never placed owns nothing on any engine.
        if (!hostId) return group.map((lab) => ({ labId: lab.id, containers: 0, networks: 0, images: 0, leaked: [] }));
        return this.hosts.get(hostId).removeLabs(group.map((lab) => ({ labId: lab.id, prefix: lab.prefix })));
      }),
    );
    const removals = outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value : []));
    const byId = new Map(labs.map((lab) => [lab.id, lab]));

    const clean = removals.filter((r) => !r.leaked.length);
    await this.labs.markDestroyedMany(clean.map((r) => r.labId));
    const leaking = removals.filter((r) => r.leaked.length);
    for (const removal of leaking) {
      const lab = byId.get(removal.labId)!;
      const words = describeLeak(removal.leaked);
      await this.labs.markDestroyedLeaking(lab.id, words);
      await this.audit.record({ actor: 'teardown', action: 'incident', labId: lab.id, classId: lab.classId ?? undefined, detail: { kind: 'leaked', reason, leaked: removal.leaked } });
      this.logger.error(`lab ${lab.id} destroyed (${reason}) but the engine kept: ${words}; its allocations stay held until the reconciler removes it`);
    }
    await this.publish(removals.map((r) => byId.get(r.labId)!), 'destroyed', reason);

    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      this.logger.warn(`${labs.length - removals.length} labs stay destroying: ${String(failed.reason)}`);
      throw failed.reason;
    }
    return {
      destroyed: removals.length,
      leaked: leaking.length,
      removed: removals.reduce((sum, r) => ({ containers: sum.containers + r.containers, networks: sum.networks + r.networks }), { containers: 0, networks: 0 }),
    };
  }

  private async publish(labs: TeardownLab[], status: 'destroying' | 'destroyed', reason: EndReason): Promise<void> {
    await Promise.all(labs.map((lab) => this.events.publish({ type: 'lab-status', labId: lab.id, classId: lab.classId ?? undefined, status, reason })));
  }
}
