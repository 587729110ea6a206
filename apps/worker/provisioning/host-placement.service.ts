import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { HostRepository } from '../../../libs/persistence/host.repository';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import { freePlaces } from '../../../libs/placement/capacity';
import { HostCapacityService } from '../../../libs/placement/host-capacity.service';

/**
 * How long a host that answered a ping is taken as answering: a class of 30 placed at
 * once pings each host once, not 30 times. A host that died meanwhile fails the lab's
 * first engine call, and the job's retry places it again.
 */
const ANSWERED_FRESH_MS = 5_000;

/**
 * Chooses the Docker host of a new lab by free capacity (README.md, "Capacity and
 * placement"): the host with the most places left (its capacity minus its live labs,
 * warm ones included) that answers and is not marked down; full hosts are skipped.
 */
@Injectable()
export class HostPlacementService {
  private readonly answeredAt = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hosts: DockerHostPool,
    private readonly labs: LabRepository,
    private readonly hostRecords: HostRepository,
    private readonly capacity: HostCapacityService,
  ) {}

  async isDown(hostId: string): Promise<boolean> {
    return !this.hosts.ids().includes(hostId) || (await this.hostRecords.downHosts()).has(hostId);
  }

  /**
   * Hosts with places left, most first (random among equals, so a burst of labs placed at
   * once spreads out), and a word on each host left out, for the error when none is left.
   */
  async candidates(): Promise<{ ids: string[]; skipped: string[] }> {
    const capacities = await this.capacity.capacities();
    const { perHost } = freePlaces(capacities, await this.labs.liveByHost(this.config.DEPLOYMENT_ID), this.config);
    const skipped = this.hosts.ids().filter((id) => !perHost.has(id)).map((id) => `${id}: down`);
    const ranked = capacities
      .map((c) => ({ id: c.hostId, free: perHost.get(c.hostId) ?? 0, tieBreak: Math.random(), capacity: c }))
      .sort((a, b) => b.free - a.free || a.tieBreak - b.tieBreak);
    for (const host of ranked.filter((h) => h.free <= 0)) {
      skipped.push(`${host.id}: full (${host.capacity.labs} labs, limited by ${host.capacity.limitedBy})`);
    }
    return { ids: ranked.filter((h) => h.free > 0).map((h) => h.id), skipped };
  }

  /** Whether the host's engine answers (a ping at most every few seconds per host); the error in words when not. */
  async answers(hostId: string): Promise<string | null> {
    if (Date.now() - (this.answeredAt.get(hostId) ?? -Infinity) < ANSWERED_FRESH_MS) return null;
    try {
      await this.hosts.get(hostId).ping();
      this.answeredAt.set(hostId, Date.now());
      return null;
    } catch (error) {
      this.answeredAt.delete(hostId);
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * Puts the lab on `hostId` if the host still has a place (checked under the placement
   * lock) and no other job moved the lab meanwhile (compare-and-set on `previous`).
   */
  async claim(labId: string, hostId: string, previous: string | null): Promise<'placed' | 'moved' | 'full'> {
    const capacity = (await this.capacity.capacities()).find((c) => c.hostId === hostId)?.labs ?? 0;
    return this.labs.setHostWithin(labId, hostId, previous, capacity, this.config.DEPLOYMENT_ID);
  }

  /** The host with the most places left that answers; throws (the job retries later) when none. */
  async choose(): Promise<string> {
    const { ids, skipped } = await this.candidates();
    for (const id of ids) {
      const error = await this.answers(id);
      if (!error) return id;
      skipped.push(`${id}: ${error}`);
    }
    throw new NoHostError(skipped);
  }
}

/** No Docker host is up with a place left. */
export class NoHostError extends Error {
  constructor(readonly reasons: string[]) {
    super(`no Docker host can take the lab (${reasons.join('; ') || 'none configured'})`);
  }
}
