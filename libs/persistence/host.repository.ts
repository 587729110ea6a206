import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { HostStatus } from './generated/enums';
import { PrismaService } from './prisma.service';

export { HostStatus };

/**
 * What this deployment last saw of each of its Docker hosts. The records are the
 * deployment's own (DEPLOYMENT_ID): deployments sharing a database may use the same host
 * ids, and one's failed ping must not mark another's host down.
 */
@Injectable()
export class HostRepository {
  private readonly deployment: string;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'DEPLOYMENT_ID'>,
  ) {
    this.deployment = config.DEPLOYMENT_ID;
  }

  /** Records a host's status; returns the previous one (null when first seen). */
  async record(id: string, endpoint: string, status: HostStatus): Promise<HostStatus | null> {
    const key = { deployment: this.deployment, id };
    const previous = await this.prisma.dockerHost.findUnique({ where: { deployment_id: key } });
    await this.prisma.dockerHost.upsert({
      where: { deployment_id: key },
      create: { ...key, endpoint, status, lastSeenAt: status === HostStatus.up ? new Date() : null },
      update: { endpoint, status, ...(status === HostStatus.up ? { lastSeenAt: new Date() } : {}) },
    });
    return previous?.status ?? null;
  }

  /** Whether the host has not answered for at least `ms` (never seen counts from its first record). */
  async silentFor(id: string, ms: number): Promise<boolean> {
    const host = await this.prisma.dockerHost.findUnique({ where: { deployment_id: { deployment: this.deployment, id } } });
    if (!host || host.status === HostStatus.up) return false;
    const since = host.lastSeenAt ?? host.updatedAt;
    return Date.now() - since.getTime() >= ms;
  }

  /** Records what the engine reports of its machine (placement's capacity); the host is created if never seen. */
  async recordResources(id: string, endpoint: string, resources: { cpus: number; memoryBytes: number }): Promise<void> {
    const data = { cpus: resources.cpus, memoryBytes: BigInt(Math.round(resources.memoryBytes)), resourcesAt: new Date() };
    const key = { deployment: this.deployment, id };
    await this.prisma.dockerHost.upsert({ where: { deployment_id: key }, create: { ...key, endpoint, ...data }, update: data });
  }

  /** Every host record: status and last reported resources (null until the engine was read). */
  async list(): Promise<{ id: string; status: HostStatus; cpus: number | null; memoryBytes: number | null; resourcesAt: Date | null }[]> {
    const rows = await this.prisma.dockerHost.findMany({ where: { deployment: this.deployment }, select: { id: true, status: true, cpus: true, memoryBytes: true, resourcesAt: true } });
    return rows.map((r) => ({ ...r, memoryBytes: r.memoryBytes === null ? null : Number(r.memoryBytes) }));
  }

  async downHosts(): Promise<Set<string>> {
    const rows = await this.prisma.dockerHost.findMany({ where: { deployment: this.deployment, status: HostStatus.down }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }
}
