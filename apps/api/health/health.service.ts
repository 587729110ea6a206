import { Injectable } from '@nestjs/common';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { PrismaService } from '../../../libs/persistence/prisma.service';
import { JobQueue } from '../../../libs/queue/job-queue.service';

export interface ComponentHealth {
  status: 'up' | 'down';
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  db: ComponentHealth;
  redis: ComponentHealth;
  docker: Record<string, ComponentHealth>;
}

const CHECK_TIMEOUT_MS = 3000;

@Injectable()
export class HealthService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly queue: JobQueue,
    private readonly hosts: DockerHostPool,
  ) {}

  async report(): Promise<HealthReport> {
    const [db, redis, ...docker] = await Promise.all([
      probe(() => this.prisma.ping()),
      probe(() => this.queue.ping()),
      ...this.hosts.all().map((host) => probe(() => host.ping())),
    ]);
    const dockerById = Object.fromEntries(this.hosts.all().map((host, i) => [host.hostId, docker[i]]));
    const allUp = db.status === 'up' && redis.status === 'up' && docker.some((d) => d.status === 'up');
    return { status: allUp ? 'ok' : 'degraded', db, redis, docker: dockerById };
  }

  /** Names what is missing, or returns null when the API can serve. */
  async startupProblem(): Promise<string | null> {
    const report = await this.report();
    const problems: string[] = [];
    if (report.db.status === 'down') problems.push(`Postgres (DATABASE_URL): ${report.db.error}`);
    if (report.redis.status === 'down') problems.push(`Redis (REDIS_URL): ${report.redis.error}`);
    if (!Object.values(report.docker).some((d) => d.status === 'up')) {
      problems.push(`Docker (DOCKER_HOSTS): ${Object.entries(report.docker).map(([id, d]) => `${id}: ${d.error}`).join(', ')}`);
    }
    return problems.length ? problems.join('\n  ') : null;
  }
}

async function probe(check: () => Promise<unknown>): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
