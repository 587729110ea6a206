/**
 * Setup file of the parallel e2e project (vitest.config.mts): the files running at once
 * share one database, engine and Redis, each stack under its own deployment id and queue
 * prefix, but a few tests reason about the start of the subnet pool or about every port of
 * the range. Each vitest worker (VITEST_POOL_ID, 1..E2E_WORKERS) takes its own slice of
 * LAB_SUBNET_POOL and of LAB_PORT_MIN..LAB_PORT_MAX, as separate test runs do.
 */
import { sliceOfPool, sliceOfPorts } from './slices';

const workers = Number(process.env.E2E_WORKERS ?? 1);
const worker = Number(process.env.VITEST_POOL_ID ?? 1);
if (workers > 1 && process.env.LAB_SUBNET_POOL) {
  process.env.LAB_SUBNET_POOL = sliceOfPool(process.env.LAB_SUBNET_POOL, workers, worker);
  const [min, max] = sliceOfPorts(Number(process.env.LAB_PORT_MIN), Number(process.env.LAB_PORT_MAX), workers, worker);
  process.env.LAB_PORT_MIN = String(min);
  process.env.LAB_PORT_MAX = String(max);
}
