import { Injectable } from '@nestjs/common';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import { HostRepository } from '../../../libs/persistence/host.repository';

/** Chooses the Docker host of a new lab: the least loaded host that answers and is not marked down. */
@Injectable()
export class HostPlacementService {
  constructor(
    private readonly hosts: DockerHostPool,
    private readonly labs: LabRepository,
    private readonly hostRecords: HostRepository,
  ) {}

  async isDown(hostId: string): Promise<boolean> {
    return (await this.hostRecords.downHosts()).has(hostId) || !this.hosts.ids().includes(hostId);
  }

  async choose(): Promise<string> {
    const load = await this.labs.countLiveByHost();
    const down = await this.hostRecords.downHosts();
    const candidates = [...this.hosts.ids()]
      .filter((id) => !down.has(id))
      .map((id) => ({ id, load: load.get(id) ?? 0, tieBreak: Math.random() }))
      // Random among equally loaded hosts, so a burst of labs placed at once spreads out.
      .sort((a, b) => a.load - b.load || a.tieBreak - b.tieBreak)
      .map((host) => host.id);
    const errors: string[] = [];
    for (const id of candidates) {
      try {
        await this.hosts.get(id).ping();
        return id;
      } catch (error) {
        errors.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new Error(`no Docker host answers (${errors.join('; ')})`);
  }
}
