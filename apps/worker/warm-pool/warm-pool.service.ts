import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { WarmLabRepository } from '../../../libs/persistence/warm-lab.repository';
import { JobQueue } from '../../../libs/queue/job-queue.service';
import { labJobIds } from '../../../libs/queue/job-ids';
import { type JobResults, JobName } from '../../../libs/queue/jobs';
import { warmRoomFor } from '../../../libs/placement/admission';
import { HostCapacityService } from '../../../libs/placement/host-capacity.service';
import { HostPlacementService } from '../provisioning/host-placement.service';

/**
 * BullMQ priority of a warm lab's provisioning: after every lab a student waits for
 * (jobs without a priority run first), so refilling the pool never delays a class.
 */
export const WARM_PROVISION_PRIORITY = 100;

/**
 * Keeps WARM_LABS_PER_HOST warm labs on every Docker host that is up (README.md, "Warm labs"):
 * new rows are provisioned like any lab (ProvisioningService: network, allocations,
 * console), labs beyond the target are trimmed. Runs on the labs queue, scheduled every
 * WARM_REFILL_INTERVAL_MS and queued by the API right after a claim.
 */
@Injectable()
export class WarmPoolService {
  private readonly logger = new Logger(WarmPoolService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hosts: DockerHostPool,
    private readonly placement: HostPlacementService,
    private readonly warm: WarmLabRepository,
    private readonly queue: JobQueue,
    private readonly catalogue: LabCatalogue,
    private readonly capacity: HostCapacityService,
  ) {}

  async refill(): Promise<JobResults[JobName.RefillWarmLabs]> {
    const target = this.config.WARM_LABS_PER_HOST;
    const pool = this.config.DEPLOYMENT_ID;
    // What a warm lab starts with does not depend on its definition (a bridge and the
    // console); the claim sets the class's definition. The row needs one meanwhile.
    const definition = this.catalogue.list()[0]?.id ?? 'docker-network';
    let created = 0;
    let trimmed = 0;
    const capacities = target ? await this.capacity.capacities() : [];
    for (const hostId of this.hosts.ids()) {
      // A host marked down is left as it is: no new warm labs, and none trimmed. One ping lost
      // under load marks it down until the next reconcile, and its warm labs are still sound
      // (claims skip it meanwhile). A host that stays silent is lost, and the reconciler
      // reports its labs, warm ones too, host-lost.
      if (await this.placement.isDown(hostId)) continue;
      const plan = await this.warm.topUpOrTrim(pool, hostId, target, definition, warmRoomFor(capacities, hostId, this.config));
      for (const lab of plan.created) {
        await this.queue.enqueue(JobName.ProvisionLab, { labId: lab.id }, { jobId: labJobIds.provision(lab), priority: WARM_PROVISION_PRIORITY });
      }
      for (const lab of plan.trimmed) {
        await this.queue.enqueue(JobName.TeardownLab, { labId: lab.id, reason: 'trimmed' }, { jobId: labJobIds.teardown(lab, 'trimmed') });
      }
      created += plan.created.length;
      trimmed += plan.trimmed.length;
    }
    if (created || trimmed) this.logger.log(`warm pool ${pool}: ${created} lab(s) to provision, ${trimmed} trimmed (target ${target} per host)`);
    return { outcome: 'done', created, trimmed };
  }
}
