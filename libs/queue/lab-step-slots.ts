import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { rarely, redisClient } from './redis-connection';

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

/** TAKE, defined on the client (sent by its hash). */
type SlotScripts = { takeSlot(key: string, max: string, leaseMs: string, jobId: string): Promise<number> };

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
@Injectable()
export class LabStepSlots implements OnModuleDestroy {
  /**
   * A client of their own: auto-pipelined (a class verifying at once takes and gives back its
   * slots in a few writes, not one each) and the script sent by its hash (EVALSHA).
   */
  private readonly redis: Redis & SlotScripts;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const redis = redisClient(config.REDIS_URL, 'like-queue', rarely(new Logger(LabStepSlots.name)));
    redis.defineCommand('takeSlot', { numberOfKeys: 1, lua: TAKE });
    this.redis = redis as Redis & SlotScripts;
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }

  get perLab(): number {
    return this.config.STEP_JOBS_PER_LAB;
  }

  /** A job id holding one of the lab's slots, or null when the lab has all of them in use. */
  async take(labId: string): Promise<string | null> {
    const jobId = `step-${randomUUID()}`;
    const taken = await this.redis.takeSlot(this.key(labId), String(this.perLab), String(SLOT_LEASE_MS), jobId);
    return Number(taken) === 1 ? jobId : null;
  }

  /** Gives the job's slot back (idempotent). */
  async release(labId: string, jobId: string): Promise<void> {
    await this.redis.zrem(this.key(labId), jobId);
  }

  private key(labId: string): string {
    return `${this.config.QUEUE_PREFIX}:lab-step-slots:${labId}`;
  }
}
