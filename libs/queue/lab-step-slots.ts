import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { QueueName } from './jobs';

/**
 * A slot outlives its job only when a worker died mid-job and no other picked the job up
 * again: past this, the slot counts no more. Longer than any run or verify may take
 * (a solution's actions are bounded at a few minutes; a verify's checks at seconds).
 */
const SLOT_LEASE_MS = 10 * 60_000;

/**
 * Takes a slot when the lab has fewer than `max` live ones: expired leases are dropped
 * first, then the new job's id is added with its lease end. Redis' own clock, so API
 * processes on several machines agree.
 * KEYS[1] the lab's set; ARGV: max, lease ms, job id.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1`;

/**
 * Fairness of the shared step workers between labs: each lab may have at most
 * STEP_JOBS_PER_LAB run/verify jobs queued or running at once. The API takes a slot
 * before it queues a step job (and answers 429 when the lab has none left); the worker
 * gives it back when the job ends, before its result is published, so a student who waits
 * for each answer never meets the limit. Without it, one student's hanging checks fill
 * every worker slot and everyone else's verify waits behind them.
 * The slots live in Redis (a sorted set per lab, job id -> lease end), shared by every
 * API and worker process.
 */
/** The two commands we need of the ioredis client BullMQ holds (its own type declares neither). */
interface SlotCommands {
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
  zrem(key: string, member: string): Promise<number>;
}

@Injectable()
export class LabStepSlots {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Steps) private readonly steps: Queue,
  ) {}

  get perLab(): number {
    return this.config.STEP_JOBS_PER_LAB;
  }

  /** A job id holding one of the lab's slots, or null when the lab has all of them in use. */
  async take(labId: string): Promise<string | null> {
    const jobId = `step-${randomUUID()}`;
    const client = (await this.steps.client) as unknown as SlotCommands;
    const taken = await client.eval(TAKE, 1, this.key(labId), String(this.perLab), String(SLOT_LEASE_MS), jobId);
    return Number(taken) === 1 ? jobId : null;
  }

  /** Gives the job's slot back (idempotent). */
  async release(labId: string, jobId: string): Promise<void> {
    const client = (await this.steps.client) as unknown as SlotCommands;
    await client.zrem(this.key(labId), jobId);
  }

  private key(labId: string): string {
    return `${this.config.QUEUE_PREFIX}:lab-step-slots:${labId}`;
  }
}
