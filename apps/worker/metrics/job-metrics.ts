import type { Job } from 'bullmq';
import type { Metrics } from '../../../libs/metrics/metrics';
import { JobName, type JobResults } from '../../../libs/queue/jobs';

/**
 * Turns one finished job attempt into metrics: every attempt counts in netlabs_jobs_total,
 * provisioning and step jobs also observe their duration histogram. The duration is the
 * attempt's own (from BullMQ's processedOn, set when the worker took the job, to now).
 * `attempt` is the job's return value, or `failed` when it threw.
 */
export function recordJob(metrics: Metrics, queue: string, job: Job, attempt: { failed: true } | { failed: false; result: unknown }, now = Date.now()): void {
  const failed = attempt.failed;
  const result = (attempt.failed ? {} : (attempt.result ?? {})) as Record<string, unknown>;
  metrics.jobs.inc({ queue, name: job.name, result: failed ? 'failed' : 'completed' });
  if (!job.processedOn) return;
  const seconds = Math.max(0, now - job.processedOn) / 1000;
  switch (job.name) {
    case JobName.ProvisionLab:
    case JobName.ResetLab: {
      const outcome = failed ? 'error' : String((result as Partial<JobResults[JobName.ProvisionLab]>).outcome);
      metrics.provisionDuration.observe({ job: job.name, outcome }, seconds);
      break;
    }
    case JobName.VerifyStep: {
      const outcome = failed ? 'error' : (result as Partial<JobResults[JobName.VerifyStep]>).passed ? 'passed' : 'failed';
      metrics.verifyDuration.observe({ outcome }, seconds);
      break;
    }
    case JobName.RunStep: {
      const outcome = failed ? 'error' : (result as Partial<JobResults[JobName.RunStep]>).succeeded ? 'succeeded' : 'failed';
      metrics.runDuration.observe({ outcome }, seconds);
      break;
    }
    default:
      break;
  }
}
