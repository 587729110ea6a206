import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DockerHostPool } from '../docker/docker-host-pool';
import type { EngineResources } from '../docker/tenant-docker';
import { HostRepository, HostStatus } from '../persistence/host.repository';
import { hostCapacity, type HostCapacity } from './capacity';

/**
 * Resources recorded longer ago than this are read again from the engine when a capacity
 * is asked for (the reconciler records them on every run, RECONCILE_INTERVAL_MS).
 */
const RESOURCES_STALE_MS = 10 * 60_000;

/**
 * Capacity of each Docker host, from what its engine reports (`docker info`, recorded in
 * DockerHost by the reconciler, or here the first time) and the configuration. One read
 * of the host records per call; the engine is asked only when its record is missing or stale.
 */
@Injectable()
export class HostCapacityService {
  private readonly logger = new Logger(HostCapacityService.name);
  private readonly reading = new Map<string, Promise<EngineResources | null>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hosts: DockerHostPool,
    private readonly records: HostRepository,
  ) {}

  /** Reads the engine's CPUs and memory and records them; null when it does not answer (logged). */
  refresh(hostId: string): Promise<EngineResources | null> {
    let pending = this.reading.get(hostId);
    if (!pending) {
      pending = this.read(hostId).finally(() => this.reading.delete(hostId));
      this.reading.set(hostId, pending);
    }
    return pending;
  }

  /**
   * The capacity of every configured host that is up (not marked down). A host whose engine
   * was never read and does not answer now takes nothing.
   */
  async capacities(): Promise<HostCapacity[]> {
    const records = new Map((await this.records.list()).map((r) => [r.id, r]));
    const up = this.hosts.ids().filter((id) => records.get(id)?.status !== HostStatus.down);
    return Promise.all(
      up.map(async (id) => {
        const record = records.get(id);
        let resources: EngineResources | null = record?.cpus && record.memoryBytes ? { cpus: record.cpus, memoryBytes: record.memoryBytes } : null;
        const stale = !record?.resourcesAt || Date.now() - record.resourcesAt.getTime() > RESOURCES_STALE_MS;
        if (!resources || stale) resources = (await this.refresh(id)) ?? resources;
        return hostCapacity(id, resources, this.config);
      }),
    );
  }

  private async read(hostId: string): Promise<EngineResources | null> {
    try {
      const resources = await this.hosts.get(hostId).resources();
      const endpoint = this.config.DOCKER_HOSTS.find((h) => h.id === hostId)?.endpoint ?? '';
      await this.records.recordResources(hostId, endpoint, resources);
      return resources;
    } catch (error) {
      this.logger.warn(`Docker host ${hostId}: could not read its CPUs and memory: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }
}
