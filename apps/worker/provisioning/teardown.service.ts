import { Injectable, Logger } from '@nestjs/common';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { type EndReason, type JobResults, JobName } from '../../../libs/queue/jobs';

/** Removes everything a lab owns on its host and frees its allocations; progress rows stay. */
@Injectable()
export class TeardownService {
  private readonly logger = new Logger(TeardownService.name);

  constructor(
    private readonly labs: LabRepository,
    private readonly hosts: DockerHostPool,
  ) {}

  async teardown(labId: string, reason: EndReason): Promise<JobResults[JobName.TeardownLab]> {
    const lab = await this.labs.findById(labId);
    if (!lab || lab.status === LabStatus.destroyed) return { outcome: 'skipped' };
    await this.labs.markDestroying(labId, reason);
    const removed = lab.hostId ? await this.hosts.get(lab.hostId).removeLab({ labId: lab.id, prefix: lab.prefix }) : { containers: 0, networks: 0 };
    await this.labs.markDestroyed(labId);
    this.logger.log(`lab ${labId} destroyed (${reason}): ${removed.containers} containers, ${removed.networks} networks`);
    return { outcome: 'destroyed', removed };
  }
}
