import type { DockerHostConfig } from '../config/app-config';
import { bareAccess, type LabLimits } from './docker-specs';
import { DockerodeTenantDocker, type DockerodeTenantDockerOptions } from './dockerode-tenant-docker';
import { EngineChannel } from './engine-channel';
import { DockerLayerError, type TenantDocker } from './tenant-docker';

export type { LabLimits } from './docker-specs';

/** Builds the TenantDocker of one host; tests pass their own (a fake, or a dockerode one with other options). */
export type TenantDockerFactory = (host: DockerHostConfig, limits: LabLimits) => TenantDocker;

export const dockerodeFactory =
  (options: DockerodeTenantDockerOptions = {}): TenantDockerFactory =>
  (host, limits) =>
    new DockerodeTenantDocker(host.id, host.endpoint, limits, { ...options, access: host.access });

/** The Docker hosts of DOCKER_HOSTS, one TenantDocker each, by host id. */
export class DockerHostPool {
  private readonly hosts = new Map<string, TenantDocker>();
  private readonly configs = new Map<string, DockerHostConfig>();
  private readonly channels = new Map<string, EngineChannel>();

  constructor(configs: DockerHostConfig[], readonly limits: LabLimits, factory: TenantDockerFactory = dockerodeFactory()) {
    for (const config of configs) {
      if (this.hosts.has(config.id)) throw new Error(`Docker host "${config.id}" is configured twice`);
      this.hosts.set(config.id, factory(config, limits));
      this.configs.set(config.id, config);
    }
  }

  /** The raw channel to a host's engine, for the lab gateway only (see engine-channel.ts). */
  channel(hostId: string): EngineChannel {
    let channel = this.channels.get(hostId);
    if (!channel) {
      const config = this.configs.get(hostId);
      if (!config) throw new DockerLayerError('not-found', `Docker host ${hostId} is not configured`);
      channel = new EngineChannel(hostId, config.access ?? bareAccess(config.endpoint));
      this.channels.set(hostId, channel);
    }
    return channel;
  }

  get(hostId: string): TenantDocker {
    const host = this.hosts.get(hostId);
    if (!host) throw new DockerLayerError('not-found', `Docker host ${hostId} is not configured`);
    return host;
  }

  all(): TenantDocker[] {
    return [...this.hosts.values()];
  }

  ids(): string[] {
    return [...this.hosts.keys()];
  }
}
