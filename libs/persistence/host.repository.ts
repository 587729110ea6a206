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

  async downHosts(): Promise<Set<string>> {
    const rows = await this.prisma.dockerHost.findMany({ where: { status: HostStatus.down }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }
}
