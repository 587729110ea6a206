import { Injectable } from '@nestjs/common';
import { HostStatus } from './generated/enums';
import { PrismaService } from './prisma.service';

export { HostStatus };

/** What NetLabs last saw of each Docker host. */
@Injectable()
export class HostRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Records a host's status; returns the previous one (null when first seen). */
  async record(id: string, endpoint: string, status: HostStatus): Promise<HostStatus | null> {
    const previous = await this.prisma.dockerHost.findUnique({ where: { id } });
    await this.prisma.dockerHost.upsert({
      where: { id },
      create: { id, endpoint, status, lastSeenAt: status === HostStatus.up ? new Date() : null },
      update: { endpoint, status, ...(status === HostStatus.up ? { lastSeenAt: new Date() } : {}) },
    });
    return previous?.status ?? null;
  }

  /** Whether the host has not answered for at least `ms` (never seen counts from its first record). */
  async silentFor(id: string, ms: number): Promise<boolean> {
    const host = await this.prisma.dockerHost.findUnique({ where: { id } });
    if (!host || host.status === HostStatus.up) return false;
    const since = host.lastSeenAt ?? host.updatedAt;
    return Date.now() - since.getTime() >= ms;
  }

  /** Records what the engine reports of its machine (placement's capacity); the host is created if never seen. */
  async recordResources(id: string, endpoint: string, resources: { cpus: number; memoryBytes: number }): Promise<void> {
    const data = { cpus: resources.cpus, memoryBytes: BigInt(Math.round(resources.memoryBytes)), resourcesAt: new Date() };
    await this.prisma.dockerHost.upsert({ where: { id }, create: { id, endpoint, ...data }, update: data });
  }

  /** Every host record: status and last reported resources (null until the engine was read). */
  async list(): Promise<{ id: string; status: HostStatus; cpus: number | null; memoryBytes: number | null; resourcesAt: Date | null }[]> {
    const rows = await this.prisma.dockerHost.findMany({ select: { id: true, status: true, cpus: true, memoryBytes: true, resourcesAt: true } });
    return rows.map((r) => ({ ...r, memoryBytes: r.memoryBytes === null ? null : Number(r.memoryBytes) }));
  }

  async downHosts(): Promise<Set<string>> {
    const rows = await this.prisma.dockerHost.findMany({ where: { status: HostStatus.down }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }
}
