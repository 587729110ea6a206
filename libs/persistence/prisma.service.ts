import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { PrismaClient } from './generated/client';

/** The one Prisma client of a process; repositories receive it, services never do. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);
  /**
   * The pg pool under the client, for the few statements on the hot path that repositories
   * write in SQL: a query through the ORM costs ~3-10x the CPU of the same query sent on the
   * pool (Prisma's query compiler and result mapping run in this process), and one
   * statement with joins or a CTE replaces several ORM round trips. Same connections.
   */
  readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pool = new Pool({ connectionString: config.DATABASE_URL, max: 10 });
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    this.pool = pool;
  }

  async ping(): Promise<void> {
    await this.$queryRawUnsafe('SELECT 1');
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect().catch((error: unknown) => this.logger.warn(`disconnect: ${String(error)}`));
  }
}
