import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { LongFilesFirst } from './test/support/long-files-first';

// SWC instead of esbuild: Nest's dependency injection needs decorator metadata,
// which esbuild does not emit (see ../shared/ENVIRONMENT.md).
const plugins = [swc.vite({ module: { type: 'es6' } })];

/** End-to-end files that disturb every stack on the machine: they run alone, after the others. */
const SERIAL_E2E = [
  'test/faults-redis.e2e-spec.ts', // restarts Redis
  'test/faults-engine.e2e-spec.ts', // stops the second engine, restarts the main one
  'test/placement.e2e-spec.ts', // fills the second engine to its HOST_MAX_LABS
  'test/scale-out.e2e-spec.ts', // 100 labs, two engines, nginx
  'test/lab-guard.e2e-spec.ts', // waits for fork-bomb patrols, slow on a loaded machine
  'test/api-hardening.e2e-spec.ts', // counts Student lookups in pg_stat_user_tables: database-wide
  // Their hosts (s: sshd in front of this engine; c: a second engine on this kernel) publish lab
  // ports on 127.0.0.1 under another host id, and the database keeps ports apart per host id: beside
  // a stack on `local` both took port 30180 and the second `docker run -p` failed (CI, 2026-11-28).
  'test/engine-ssh.e2e-spec.ts',
  'test/engine-tls.e2e-spec.ts',
];
/** Files of the parallel e2e group at once (each takes its own slice of the pool and ports: test/support/worker-slice.ts). */
const E2E_WORKERS = 2;

const e2e = {
  environment: 'node',
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 180_000,
  hookTimeout: 180_000,
};

export default defineConfig({
  test: {
    // Files that take minutes start first in their group, not alone at its end.
    sequence: { sequencer: LongFilesFirst },
    projects: [
      {
        plugins,
        test: {
          name: 'unit',
          include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'chat/**/*.spec.ts', 'infra/**/*.spec.ts', 'test/bench/**/*.spec.ts', 'test/support/**/*.spec.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
        },
      },
      {
        plugins,
        test: {
          ...e2e,
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          exclude: SERIAL_E2E,
          // The files share one engine, Postgres and Redis, each stack under its own deployment id.
          maxWorkers: E2E_WORKERS,
          env: { E2E_WORKERS: String(E2E_WORKERS) },
          setupFiles: ['test/support/worker-slice.ts'],
          sequence: { groupOrder: 1 },
        },
      },
      {
        plugins,
        test: {
          ...e2e,
          name: 'e2e-serial',
          include: SERIAL_E2E,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
