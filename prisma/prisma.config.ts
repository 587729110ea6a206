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
    return new PrismaPg(createPgPool(process.env.DATABASE_URL ?? ''));
  },
});
