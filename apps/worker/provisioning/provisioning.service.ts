import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { AddressClashError, DEFAULT_NETWORK, DockerLayerError, type NetworkInfo } from '../../../libs/docker/tenant-docker';
import { AllocationRepository } from '../../../libs/persistence/allocation.repository';
import { LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { type JobResults, JobName, PermanentJobError } from '../../../libs/queue/jobs';
import { HostPlacementService } from './host-placement.service';
import { LabAllocatorService } from './lab-allocator.service';
import { LabConsoleService } from './lab-console.service';
import { scopeOf } from '../../../libs/docker/lab-scope';

type ProvisionResult = JobResults[JobName.ProvisionLab];

/** The host chosen for a lab was filled by other labs before this one was put on it. */
export class HostFullError extends Error {
  constructor(readonly hostId: string, labId: string) {
    super(`Docker host ${hostId} became full while lab ${labId} was placed on it`);
  }
}

/** Subnets one job tries after the engine refused one for a clash; then the job's retry (with backoff) goes on. */
const MAX_CLASHES_PER_JOB = 3;

/**
 * Brings a lab from `provisioning` to `ready`: a host, its allocations, its own bridge
 * network, the lab's images on that host and the lab's console on the bridge. Every step converges when repeated, so a
 * retried or duplicated job ends with the same single lab.
 */
@Injectable()
export class ProvisioningService {
  private readonly logger = new Logger(ProvisioningService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly allocations: AllocationRepository,
    private readonly hosts: DockerHostPool,
    private readonly placement: HostPlacementService,
    private readonly allocator: LabAllocatorService,
    private readonly consoles: LabConsoleService,
  ) {}

  /**
   * @param beforeReady runs once everything exists, before the lab is marked ready
   *   (a reset replays the student's passed steps there).
   *
   * What one job costs on a fresh lab (test/bench/provision-trace.ts, 2026-11-29): 11 SQL
   * statements (load the lab; the host records and labs per host, for placement by capacity;
   * place it in a short transaction under the placement lock; claim its values; mark it
   * ready) and 5 engine calls (create the network, list it, create, start and inspect the
   * console), plus a ping and image checks once per few seconds per host. No fixed waits.
   */
  async provision(labId: string, beforeReady?: () => Promise<void>): Promise<ProvisionResult> {
    const lab = await this.labs.findForProvisioning(labId);
    if (!lab || lab.status !== LabStatus.provisioning) {
      return { outcome: 'skipped', reason: lab ? `lab is ${lab.status}` : 'lab not found' };
    }
    const hostId = await this.place(lab);
    const docker = this.hosts.get(hostId);
    const scope = scopeOf(lab, this.config);

    let values = await this.allocator.allocate(labId, hostId);
    // allSettled, not all: a failure must not leave a create still running behind the clean-up.
    const images = Promise.allSettled([
      this.ensureImage(hostId, this.config.LAB_IMAGE_HTTPD),
      this.ensureImage(hostId, this.config.LAB_IMAGE_UBUNTU),
      this.ensureImage(hostId, this.config.LAB_IMAGE_CONSOLE),
    ]);
    let bridge: NetworkInfo | undefined;
    const failures: unknown[] = [];
    for (let clashes = 1; ; clashes++) {
      try {
        bridge = await docker.createNetwork(scope, { name: DEFAULT_NETWORK, subnet: values.bridgeSubnet, gateway: values.bridgeGateway, bridgeName: values.bridgeInterface });
        break;
      } catch (error) {
        if (!(error instanceof AddressClashError)) {
          failures.push(error);
          break;
        }
        // Something NetLabs does not allocate holds that subnet or bridge name on the
        // engine: skip it from now on (every lab), and take other values at once.
        this.logger.warn(`lab ${labId}: ${error.message}; subnet ${values.bridgeSubnet} blocked, picking another`);
        await this.allocator.recordClash(labId, hostId, values.bridgeSubnet, error.message);
        if (clashes >= MAX_CLASHES_PER_JOB) {
          failures.push(error);
          break;
        }
        values = await this.allocator.allocate(labId, hostId);
      }
    }
    for (const result of await images) if (result.status === 'rejected') failures.push(result.reason);
    if (failures.some((f) => f instanceof DockerLayerError && f.kind === 'conflict')) {
      // Let the retry claim other values rather than run into the same wall.
      await this.allocations.releaseLab(labId);
    }
    if (failures.length) throw failures.find((f) => f instanceof PermanentJobError) ?? failures[0];
    // The student starts from the console: the lab is not ready without it.
    await this.consoles.ensure(hostId, scope, values, bridge);

    if (beforeReady) await beforeReady();
    if (await this.labs.markReady(labId)) {
      this.logger.log(`lab ${labId} ready on ${hostId} (${values.bridgeSubnet}, port ${values.httpdPort})`);
      return { outcome: 'ready' };
    }
    // Deleted while we were creating it: remove what we just made.
    await this.cleanUp(labId, hostId, scope);
    return { outcome: 'skipped', reason: 'lab was deleted during provisioning' };
  }

  /**
   * The lab's host: the one it has, unless that host is down (a reset lab whose host was
   * lost: place it again and forget the old host's allocations); a new lab is placed.
   */
  /**
   * The lab's host: the one it has while that is up, else `chosen` (the host-job gate picks
   * one with a free slot) or the placement's choice. Returns the host the lab ends on.
   */
  async place(lab: { id: string; hostId: string | null }, chosen?: string): Promise<string> {
    if (lab.hostId && !(await this.placement.isDown(lab.hostId))) return lab.hostId;
    if (lab.hostId) await this.allocations.releaseLab(lab.id);
    chosen ??= await this.placement.choose();
    const claimed = await this.placement.claim(lab.id, chosen, lab.hostId);
    if (claimed === 'placed') return chosen;
    // Filled by other labs since it was chosen: the job's retry chooses again.
    if (claimed === 'full') throw new HostFullError(chosen, lab.id);
    // Another job placed it meanwhile: follow that one.
    const placed = (await this.labs.findForProvisioning(lab.id))?.hostId;
    if (!placed) throw new Error(`lab ${lab.id} lost its host while being placed`);
    return placed;
  }

  /** Called when the job will not be retried: nothing the lab created is left behind. */
  async fail(labId: string, error: unknown): Promise<ProvisionResult> {
    const reason = error instanceof Error ? error.message : String(error);
    const lab = await this.labs.findForProvisioning(labId);
    if (lab?.hostId) await this.cleanUp(labId, lab.hostId, scopeOf(lab, this.config));
    else await this.allocations.releaseLab(labId);
    await this.labs.markFailed(labId, reason);
    this.logger.warn(`lab ${labId} failed: ${reason}`);
    return { outcome: 'failed', reason };
  }

  private async ensureImage(hostId: string, image: string): Promise<void> {
    try {
      await this.hosts.get(hostId).ensureImage(image);
    } catch (error) {
      if (error instanceof DockerLayerError && error.kind === 'image-missing') throw new PermanentJobError(error.message);
      throw error;
    }
  }

  private async cleanUp(labId: string, hostId: string, scope: ReturnType<typeof scopeOf>): Promise<void> {
    try {
      await this.hosts.get(hostId).removeLab(scope);
    } catch (error) {
      // The host may be down: its objects carry our labels and the reconciler removes them later.
      this.logger.warn(`lab ${labId}: could not remove its Docker objects on ${hostId}: ${String(error)}`);
    }
    await this.allocations.releaseLab(labId);
  }
}
