import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { type JobsOptions, Queue, QueueEvents } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { JobName, type JobPayloads, type JobResults, QUEUE_OF, QueueName } from './jobs';
import { redisConnection } from './redis-connection';

/** Retries with exponential backoff: 1 s, 2 s, 4 s, ... */
const DEFAULT_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 24 * 3600 },
};

const isPending = (state: string) => state !== 'completed' && state !== 'failed' && state !== 'unknown';

/** A job the worker gave up on; the message is the worker's error. */
export class JobFailedError extends Error {}

export type JobState = 'completed' | 'failed' | 'active' | 'waiting' | 'delayed' | 'unknown';

/** The one place that puts typed jobs on BullMQ queues and waits for their results. */
@Injectable()
export class JobQueue implements OnModuleDestroy {
  private readonly logger = new Logger(JobQueue.name);
  private readonly queues: Record<QueueName, Queue>;
  private events?: Partial<Record<QueueName, QueueEvents>>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Labs) labs: Queue,
    @InjectQueue(QueueName.Steps) steps: Queue,
    @InjectQueue(QueueName.Maintenance) maintenance: Queue,
    @InjectQueue(QueueName.Grades) grades: Queue,
  ) {
    this.queues = { [QueueName.Labs]: labs, [QueueName.Steps]: steps, [QueueName.Maintenance]: maintenance, [QueueName.Grades]: grades };
  }

  /**
   * Adds a job. With a `jobId`, BullMQ ignores a second add while the first is still
   * known, so a duplicated request never runs the same work twice at once.
   */
  async enqueue<N extends JobName>(name: N, data: JobPayloads[N], options: JobsOptions = {}): Promise<string> {
    const queue = this.queues[QUEUE_OF[name]];
    const job = await queue.add(name, data, { ...DEFAULT_OPTIONS, ...options });
    this.logger.debug(`enqueued ${name} ${job.id} ${JSON.stringify(data)}`);
    return job.id!;
  }

  /**
   * Adds a job and waits up to `waitMs` for its result. Returns `{done: false, jobId}`
   * when the worker has not answered in time (the caller answers 202 with a link).
   */
  async enqueueAndWait<N extends JobName>(
    name: N,
    data: JobPayloads[N],
    waitMs: number,
    options: JobsOptions = {},
  ): Promise<{ done: true; jobId: string; result: JobResults[N] } | { done: false; jobId: string }> {
    const queueName = QUEUE_OF[name];
    const events = await this.eventsFor(queueName);
    const job = await this.queues[queueName].add(name, data, { ...DEFAULT_OPTIONS, ...options });
    try {
      const result = (await job.waitUntilFinished(events, waitMs)) as JobResults[N];
      return { done: true, jobId: job.id!, result };
    } catch (error) {
      if (error instanceof Error && /timed out/i.test(error.message)) return { done: false, jobId: job.id! };
      // The job itself failed: its message is the worker's error.
      throw new JobFailedError(error instanceof Error ? error.message : String(error));
    }
  }

  /** The state and, once finished, the result or failure of a job of `queue`. */
  async status(queueName: QueueName, jobId: string): Promise<{ state: JobState; name?: string; data?: unknown; result?: unknown; failedReason?: string }> {
    const job = await this.queues[queueName].getJob(jobId);
    if (!job) return { state: 'unknown' };
    const state = (await job.getState()) as JobState;
    return { state, name: job.name, data: job.data, result: job.returnvalue, failedReason: job.failedReason };
  }

  /**
   * Makes sure a job with this id is queued or running: nothing when it is, otherwise
   * (never queued, finished, or lost with a Redis restart) it is added again. Returns
   * whether a job was added.
   */
  async ensure<N extends JobName>(name: N, data: JobPayloads[N], jobId: string): Promise<boolean> {
    const queue = this.queues[QUEUE_OF[name]];
    const existing = await queue.getJob(jobId);
    if (existing) {
      if (isPending(await existing.getState())) return false;
      await existing.remove().catch(() => undefined);
    }
    await queue.add(name, data, { ...DEFAULT_OPTIONS, jobId });
    return true;
  }

  /** Whether the job with this id is waiting, delayed (a retry's backoff) or running: someone will do its work. */
  async isPending(name: JobName, jobId: string): Promise<boolean> {
    const existing = await this.queues[QUEUE_OF[name]].getJob(jobId);
    return !!existing && isPending(await existing.getState());
  }

  /** Registers (or updates) a repeatable job. */
  async repeat<N extends JobName>(name: N, data: JobPayloads[N], everyMs: number): Promise<void> {
    await this.queues[QUEUE_OF[name]].upsertJobScheduler(name, { every: everyMs }, { name, data, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  }

  async ping(): Promise<void> {
    const client = (await this.queues[QueueName.Labs].client) as unknown as { ping(): Promise<string> };
    await client.ping();
  }

  private async eventsFor(queueName: QueueName): Promise<QueueEvents> {
    this.events ??= {};
    let events = this.events[queueName];
    if (!events) {
      events = new QueueEvents(queueName, { connection: redisConnection(this.config.REDIS_URL), prefix: this.config.QUEUE_PREFIX });
      this.events[queueName] = events;
      await events.waitUntilReady();
    }
    return events;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(Object.values(this.events ?? {}).map((events) => events.close()));
  }
}
