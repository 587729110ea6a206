import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { createPgPool } from '../libs/persistence/pg-pool';
import { PrismaPg } from '@prisma/adapter-pg';

// Prisma's native schema engine cannot be downloaded on our machines; the JS/WASM
// engine with the pg adapter applies migrations instead (../shared/ENVIRONMENT.md).
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'migrations') },
  async adapter() {
    const pool = createPgPool(process.env.DATABASE_URL ?? '');
    const factory = new PrismaPg(pool);
    const connect = factory.connect.bind(factory);
    // The adapter runs a migration by splitting its script on every ";" (adapter-pg 6.19
    // executeScript), which breaks a function body or a ";" in a comment. Postgres takes
    // the whole script as one simple query (and runs it as one transaction).
    factory.connect = async () => {
      const adapter = await connect();
      adapter.executeScript = async (script: string) => {
        await pool.query(script);
      };
      return adapter;
    };
    return factory;
  },
});
