import { Inject, Injectable, Logger } from '@nestjs/common';
import { labValuesFrom } from '../../../libs/allocation/lab-resources';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { engineName } from '../../../libs/docker/docker-specs';
import { CONSOLE, DEFAULT_NETWORK, LABEL_LAB, type OwnedObject, type TenantDocker } from '../../../libs/docker/tenant-docker';
import { AllocationRepository } from '../../../libs/persistence/allocation.repository';
import { AuditRepository } from '../../../libs/persistence/audit.repository';
import { HostRepository, HostStatus } from '../../../libs/persistence/host.repository';
import { LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { JobQueue } from '../../../libs/queue/job-queue.service';
import { classJobIds, labJobIds } from '../../../libs/queue/job-ids';
import { type EndReason, type JobResults, JobName } from '../../../libs/queue/jobs';
import { LABEL_DEPLOYMENT, scopeOf } from '../../../libs/docker/lab-scope';
import { HostCapacityService } from '../../../libs/placement/host-capacity.service';
import { LabConsoleService } from '../provisioning/lab-console.service';

type Counts = { removed: number; repaired: number; marked: number };

/** The lab's default network and running console are among its listed objects. */
function listedWhole(objects: OwnedObject[], lab: { prefix: string }): boolean {
  const network = engineName(lab, DEFAULT_NETWORK);
  const console = engineName(lab, CONSOLE);
  return objects.some((o) => o.kind === 'network' && o.engineName === network) && objects.some((o) => o.kind === 'container' && o.engineName === console && o.running);
}

/**
 * Compares what Postgres says with what each Docker host has, and mends the difference:
 * objects with our labels and no live lab are removed, a ready lab whose network or
 * console vanished (or whose console stopped) gets it back, a host that stops answering has its labs reported
 * `host-lost`, and allocations of labs that own nothing are freed.
 *
 * Safe beside provisioning: the host's objects are listed BEFORE the live labs are read,
 * so an object of a lab created meanwhile always finds its lab in the database.
 */
@Injectable()
export class ReconcilerService {
  private readonly logger = new Logger(ReconcilerService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hosts: DockerHostPool,
    private readonly hostRecords: HostRepository,
    private readonly labs: LabRepository,
    private readonly allocations: AllocationRepository,
    private readonly audit: AuditRepository,
    private readonly queue: JobQueue,
    private readonly consoles: LabConsoleService,
    private readonly capacity: HostCapacityService,
  ) {}

  async reconcile(): Promise<JobResults[JobName.Reconcile]> {
    const total: Counts = { removed: 0, repaired: 0, marked: 0 };
    for (const host of this.hosts.all()) {
      const counts = await this.reconcileHost(host);
      total.removed += counts.removed;
      total.repaired += counts.repaired;
      total.marked += counts.marked;
    }
    total.repaired += await this.requeueStuckLabs();
    if (total.removed || total.repaired || total.marked) this.logger.log(`reconciled: ${JSON.stringify(total)}`);
    return { outcome: 'done', ...total };
  }

  private async reconcileHost(host: TenantDocker): Promise<Counts> {
    const endpoint = this.config.DOCKER_HOSTS.find((h) => h.id === host.hostId)?.endpoint ?? '';
    let owned;
    try {
      await host.ping();
      // Only this deployment's objects: tests or another NetLabs may share the engine.
      owned = await host.listOwned({ key: LABEL_DEPLOYMENT, value: this.config.DEPLOYMENT_ID });
    } catch (error) {
      const previous = await this.hostRecords.record(host.hostId, endpoint, HostStatus.down);
      // A short outage (an engine restart, one ping lost under load) is not a lost host: its
      // containers come back with it. The first failed ping never loses it: the last answer
      // is then a whole RECONCILE_INTERVAL_MS old (60 s, as HOST_LOST_AFTER_MS by default).
      if (previous !== HostStatus.down) {
        this.logger.warn(`Docker host ${host.hostId} does not answer: ${String(error)}`);
        return { removed: 0, repaired: 0, marked: 0 };
      }
      if (!(await this.hostRecords.silentFor(host.hostId, this.config.HOST_LOST_AFTER_MS))) return { removed: 0, repaired: 0, marked: 0 };
      const marked = await this.labs.markHostLost(host.hostId, this.config.DEPLOYMENT_ID);
      if (marked) this.logger.warn(`Docker host ${host.hostId} lost: ${marked} labs reported host-lost`);
      return { removed: 0, repaired: 0, marked };
    }
    await this.hostRecords.record(host.hostId, endpoint, HostStatus.up);
    // Its CPUs and memory, for placement by capacity (a host's memory may change: a VM resized).
    await this.capacity.refresh(host.hostId);

    const live = new Map((await this.labs.findLive(this.config.DEPLOYMENT_ID)).filter((l) => l.status !== LabStatus.failed).map((l) => [l.id, l]));
    const orphanLabs = new Set(owned.filter((o) => !live.has(o.labId)).map((o) => o.labId));
    let removed = 0;
    const stillLeaking = new Set<string>();
    for (const labId of orphanLabs) {
      const count = await host.removeLab({ labId });
      removed += count.containers + count.networks;
      if (count.leaked.length) stillLeaking.add(labId);
    }
    await this.clearLeaks(host, stillLeaking);

    let repaired = 0;
    const ownedByLab = new Map<string, OwnedObject[]>();
    for (const o of owned) ownedByLab.set(o.labId, [...(ownedByLab.get(o.labId) ?? []), o]);
    for (const lab of live.values()) {
      if (lab.hostId !== host.hostId || lab.status !== LabStatus.ready) continue;
      // Most labs are whole in the listing above; only the others are inspected (an inspect a lab
      // and a minute would cost the engine a scan of all its networks each).
      if (listedWhole(ownedByLab.get(lab.id) ?? [], lab)) continue;
      if (await this.repairLab(host, lab)) repaired++;
    }
    removed += await this.allocations.releaseOrphans();
    return { removed, repaired, marked: 0 };
  }

  /**
   * Destroyed labs whose teardown left an object on this host (Lab.leaked) keep their
   * allocations until it is gone: the orphan sweep above tried to remove it again, and a
   * lab with nothing left of it on the host gets its allocations freed and its leak cleared.
   */
  private async clearLeaks(host: TenantDocker, stillLeaking: Set<string>): Promise<void> {
    for (const lab of await this.labs.findLeaking(host.hostId, this.config.DEPLOYMENT_ID)) {
      if (stillLeaking.has(lab.id)) continue;
      // Listed after the sweep: the object may have been removed by it, or by someone else.
      const left = await host.listOwned({ key: LABEL_LAB, value: lab.id });
      if (left.length) continue;
      if (!(await this.labs.clearLeak(lab.id))) continue;
      await this.audit.record({ actor: 'reconciler', action: 'incident', labId: lab.id, classId: lab.classId ?? undefined, detail: { kind: 'leak-cleared', was: lab.leaked } });
      this.logger.warn(`lab ${lab.id}: what its teardown left on ${host.hostId} is gone, allocations freed (${lab.leaked})`);
    }
  }

  /**
   * A lab still provisioning (or destroying) long after its last change may have lost its
   * job (Redis restarted without persistence): queue it again. Ids are the ones the API
   * uses for the lab's generation, so a job that is merely slow is not duplicated; a lab
   * provisioning after a reset gets its reset job back (without replay: what the
   * student asked is not kept outside Redis). A lab destroying while its class's teardown
   * job is queued or running is not stuck: that job takes every lab of the class, and a
   * class of 50 on a busy host takes longer than STUCK_AFTER_MS (a job a lab beside it
   * only listed the engine again and raced it for the same objects).
   */
  private async requeueStuckLabs(): Promise<number> {
    let requeued = 0;
    const classTeardown = new Map<string, Promise<boolean>>();
    const classIsTearingDown = (classId: string) => {
      let pending = classTeardown.get(classId);
      if (!pending) classTeardown.set(classId, (pending = this.queue.isPending(JobName.TeardownClass, classJobIds.teardown(classId))));
      return pending;
    };
    for (const lab of await this.labs.findStuck(this.config.STUCK_AFTER_MS, this.config.DEPLOYMENT_ID)) {
      if (lab.status === LabStatus.destroying && lab.classId && (await classIsTearingDown(lab.classId))) continue;
      const reason = (lab.endReason as EndReason | null) ?? 'deleted';
      const added =
        lab.status !== LabStatus.provisioning
          ? await this.queue.ensure(JobName.TeardownLab, { labId: lab.id, reason }, labJobIds.teardown(lab, reason))
          : lab.generation > 0
            ? await this.queue.ensure(JobName.ResetLab, { labId: lab.id, replay: false }, labJobIds.reset(lab))
            : await this.queue.ensure(JobName.ProvisionLab, { labId: lab.id }, labJobIds.provision(lab));
      if (added) {
        requeued++;
        this.logger.warn(`lab ${lab.id} was ${lab.status} with no job: queued again`);
      }
    }
    return requeued;
  }

  /** Recreates the lab's default network and its console when they vanished (engine data lost, someone removed them). */
  private async repairLab(host: TenantDocker, lab: { id: string; classId: string | null; prefix: string }): Promise<boolean> {
    const scope = scopeOf(lab, this.config);
    const networkOk = !!(await host.inspectNetwork(scope, DEFAULT_NETWORK));
    const consoleOk = !!(await host.inspectContainer(scope, CONSOLE))?.running;
    if (networkOk && consoleOk) return false;
    const values = labValuesFrom(await this.allocations.forLab(lab.id), this.config.LAB_PUBLIC_HOST);
    if (!values) return false;
    // The snapshot may be stale: a teardown may have just removed the network on purpose.
    if ((await this.labs.findById(lab.id))?.status !== LabStatus.ready) return false;
    if (!networkOk) {
      await host.createNetwork(scope, { name: DEFAULT_NETWORK, subnet: values.bridgeSubnet, gateway: values.bridgeGateway, bridgeName: values.bridgeInterface });
    }
    await this.consoles.ensure(host.hostId, scope, values);
    if ((await this.labs.findById(lab.id))?.status !== LabStatus.ready) {
      await host.removeLab({ labId: lab.id, prefix: lab.prefix });
      return false;
    }
    const repaired = [!networkOk && 'network bridge', !consoleOk && 'console'].filter(Boolean).join(' and ');
    await this.audit.record({ actor: 'reconciler', action: 'incident', labId: lab.id, classId: lab.classId ?? undefined, detail: { repaired: `${repaired} missing or stopped, recreated` } });
    this.logger.warn(`lab ${lab.id}: ${repaired} missing or stopped, recreated`);
    return true;
  }

}
