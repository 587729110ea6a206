import { Injectable } from '@nestjs/common';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import { HostRepository } from '../../../libs/persistence/host.repository';

/**
 * How long a host that answered a ping is taken as answering: a class of 30 placed at
 * once pings each host once, not 30 times. A host that died meanwhile fails the lab's
 * first engine call, and the job's retry places it again.
 */
const ANSWERED_FRESH_MS = 5_000;

/** Chooses the Docker host of a new lab: the least loaded host that answers and is not marked down. */
@Injectable()
export class HostPlacementService {
  private readonly answeredAt = new Map<string, number>();

  constructor(
    private readonly hosts: DockerHostPool,
    private readonly labs: LabRepository,
    private readonly hostRecords: HostRepository,
  ) {}

  async isDown(hostId: string): Promise<boolean> {
    return !this.hosts.ids().includes(hostId) || (await this.hostRecords.downHosts()).has(hostId);
  }

  async choose(): Promise<string> {
    const down = await this.hostRecords.downHosts();
    const up = this.hosts.ids().filter((id) => !down.has(id));
    // One host: nothing to compare, no need to count every lab.
    const load = up.length > 1 ? await this.labs.countLiveByHost() : new Map<string, number>();
    const candidates = up
      .map((id) => ({ id, load: load.get(id) ?? 0, tieBreak: Math.random() }))
      // Random among equally loaded hosts, so a burst of labs placed at once spreads out.
      .sort((a, b) => a.load - b.load || a.tieBreak - b.tieBreak)
      .map((host) => host.id);
    const errors: string[] = [];
    for (const id of candidates) {
      if (Date.now() - (this.answeredAt.get(id) ?? -Infinity) < ANSWERED_FRESH_MS) return id;
      try {
        await this.hosts.get(id).ping();
        this.answeredAt.set(id, Date.now());
        return id;
      } catch (error) {
        this.answeredAt.delete(id);
        errors.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new Error(`no Docker host answers (${errors.join('; ')})`);
  }
}
