import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every NetLabs metric, defined once (names and labels are what dashboards and alerts
 * query: treat them as a contract). Each process has its own `Metrics` (its own
 * registry): the API serves its registry on GET /metrics, the worker on
 * WORKER_METRICS_PORT (worker-metrics.server.ts), and Prometheus adds them up.
 *
 * Event metrics (counters, histograms) are incremented where the event happens; state
 * metrics (labs by state, queue depth, open sessions) are gauges read at scrape time by
 * the process that can see that state (apps/api/metrics/api-metrics.collector.ts).
 */

/** Seconds: a lab takes from ~1 s (warm engine) to a minute or more (image pulls, a loaded host). */
const PROVISION_BUCKETS = [0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];
/** Seconds: a verify is a few checks, each with a 15 s deadline. */
const STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34];

/** How a grade post to an LMS ended (LTI Assignment and Grade Services). */
export type GradePostOutcome = 'posted' | 'retried' | 'failed';
export const GRADE_POST_OUTCOMES: readonly GradePostOutcome[] = ['posted', 'retried', 'failed'];

export class Metrics {
  readonly registry = new Registry();

  /** Provisioning work of one job attempt (provision-lab, reset-lab), by its outcome. */
  readonly provisionDuration = new Histogram({
    name: 'netlabs_lab_provision_duration_seconds',
    help: 'Time the worker took to provision (or reset) a lab, per job attempt, by outcome (ready, failed, skipped, error)',
    labelNames: ['job', 'outcome'] as const,
    buckets: PROVISION_BUCKETS,
    registers: [this.registry],
  });

  /** One verify-step job, by outcome (passed, failed, error). */
  readonly verifyDuration = new Histogram({
    name: 'netlabs_step_verify_duration_seconds',
    help: 'Time the worker took to verify a step, by outcome (passed, failed, error)',
    labelNames: ['outcome'] as const,
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });

  /** One run-step job (a step's reference solution), by outcome (succeeded, failed, error). */
  readonly runDuration = new Histogram({
    name: 'netlabs_step_run_duration_seconds',
    help: "Time the worker took to run a step's solution, by outcome (succeeded, failed, error)",
    labelNames: ['outcome'] as const,
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });

  /** Every job attempt a worker finished: completed, or failed (an error, retried while attempts remain). */
  readonly jobs = new Counter({
    name: 'netlabs_jobs_total',
    help: 'Job attempts finished by this worker, by queue, job name and result (completed, failed)',
    labelNames: ['queue', 'name', 'result'] as const,
    registers: [this.registry],
  });

  /**
   * Grade posts to an LMS. Increment it where a post ends, in whichever process posts:
   * `metrics.gradePosts.inc({ outcome: 'posted' })`.
   */
  readonly gradePosts = new Counter({
    name: 'netlabs_grade_posts_total',
    help: 'Scores posted to an LMS (LTI AGS), by outcome: posted, retried (will be tried again), failed (given up, recorded)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(readonly process: 'api' | 'worker') {
    this.registry.setDefaultLabels({ process });
    collectDefaultMetrics({ register: this.registry });
    // Zero, not absent, before the first post: a rate() over a missing series says nothing.
    for (const outcome of GRADE_POST_OUTCOMES) this.gradePosts.inc({ outcome }, 0);
  }

  /** A gauge whose value is read when Prometheus scrapes (state owned by someone else). */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: (set: (labels: Record<L, string>, value: number) => void) => Promise<void> | void): Gauge<L> {
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        await read((labels, value) => this.set(labels as never, value));
      },
    });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
