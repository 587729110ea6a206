import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { rarely, redisClient } from '../../../libs/queue/redis-connection';

/**
 * Fixed window: the first hit starts it (PEXPIRE), more hits count in it. Once over the
 * limit, the tracker is blocked for `blockMs` (the throttler's semantics).
 * KEYS: hits, block. ARGV: window ms, limit, block ms. Returns hits, ms left in the window,
 * blocked (0/1), ms left blocked.
 */
const THROTTLE = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0') + 1, redis.call('PTTL', KEYS[1]), 1, blocked}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, left, 1, tonumber(ARGV[3])}
end
return {hits, left, 0, 0}
`;

/** Counts one more in a fixed window. KEYS: counter. ARGV: window ms. Returns the count and ms left. */
const COUNT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
`;

/** Reads a counter without counting. KEYS: counter. Returns the count and ms left. */
const PEEK = `return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}`;

/** What ThrottlerStorage.increment answers (the package does not export the type). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export interface WindowCount {
  hits: number;
  msLeft: number;
}

type Scripts = {
  throttle(hits: string, block: string, windowMs: number, limit: number, blockMs: number): Promise<number[]>;
  countHit(key: string, windowMs: number): Promise<number[]>;
  peekCount(key: string): Promise<number[]>;
};

/**
 * Rate-limit counters in Redis, so that every API process counts the same requests (the
 * throttler's default storage is one Map per process). Keys are
 * `<QUEUE_PREFIX>:rate:<name>:<tracker>` and expire with their window.
 *
 * A limit must not take the API down with Redis: a counter that cannot be reached lets the
 * request through (fail open, logged at most once a minute). The connection never queues
 * commands while Redis is away, so a request never waits for it either.
 */
@Injectable()
export class RateLimitStore implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger(RateLimitStore.name);
  private readonly redis: Redis & Scripts;
  private readonly prefix: string;
  /** Fail-open warnings: once a minute at most. */
  private readonly warn = rarely(this.logger);

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = `${config.QUEUE_PREFIX}:rate:`;
    const redis = redisClient(config.REDIS_URL, 'fail-fast', this.warn);
    redis.defineCommand('throttle', { numberOfKeys: 2, lua: THROTTLE });
    redis.defineCommand('countHit', { numberOfKeys: 1, lua: COUNT });
    redis.defineCommand('peekCount', { numberOfKeys: 1, lua: PEEK });
    this.redis = redis as Redis & Scripts;
  }

  /** The throttler's interface (per-token limits); `key` comes from rateLimitOptions' generateKey. */
  async increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    try {
      const [hits, left, blocked, blockLeft] = await this.redis.throttle(`${this.prefix}${key}`, `${this.prefix}${key}:blocked`, ttl, limit, blockDuration);
      return { totalHits: hits, timeToExpire: seconds(left), isBlocked: blocked === 1, timeToBlockExpire: seconds(blockLeft) };
    } catch (error) {
      this.warn(`rate limit ${key} not counted (request let through): ${String(error)}`);
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  /** Counts one hit of `key` in a window of `windowMs` (which the first hit starts). */
  async count(key: string, windowMs: number): Promise<void> {
    try {
      await this.redis.countHit(`${this.prefix}${key}`, windowMs);
    } catch (error) {
      this.warn(`rate limit ${key} not counted: ${String(error)}`);
    }
  }

  /** The hits of `key` in its current window; none when Redis does not answer. */
  async peek(key: string): Promise<WindowCount> {
    try {
      const [hits, left] = await this.redis.peekCount(`${this.prefix}${key}`);
      return { hits, msLeft: Math.max(0, left) };
    } catch (error) {
      this.warn(`rate limit ${key} not read (request let through): ${String(error)}`);
      return { hits: 0, msLeft: 0 };
    }
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
