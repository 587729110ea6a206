import type { WorkerOptions } from 'bullmq';
import { loadConfig } from '../../libs/config/app-config';

/**
 * BullMQ worker options from the configuration. Read when the processor classes are
 * decorated (before Nest builds the context), so they come straight from the environment.
 */
export function workerOptions(concurrency: 'PROVISION_CONCURRENCY' | 'STEP_CONCURRENCY' | 1): Omit<WorkerOptions, 'connection'> {
  const config = loadConfig();
  const lockDuration = config.JOB_LOCK_MS;
  return {
    concurrency: concurrency === 1 ? 1 : config[concurrency],
    lockDuration,
    // A job whose worker died is noticed at the next stalled check after its lock expires.
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
    maxStalledCount: 3,
  };
}
