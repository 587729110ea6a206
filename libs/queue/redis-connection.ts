import type { Logger } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/** Where Redis is, from a redis:// URL (host, port, user, password, database). */
function redisAddress(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
  };
}

/** ioredis options for BullMQ from a redis:// URL. */
export function redisConnection(url: string): ConnectionOptions {
  // BullMQ workers block on Redis; ioredis must not give up on a command.
  return { ...redisAddress(url), maxRetriesPerRequest: null };
}

/**
 * How a client of ours waits for Redis. `fail-fast`: a command fails at once while Redis is
 * away (nothing is queued, one retry), for what answers a request and must never make it
 * wait (rate limits, terminal sessions); commands are auto-pipelined. `patient`: commands wait through a short outage
 * (queued, two retries), for state that should not be lost to a blip (LTI logins, lab events).
 * `like-queue`: commands wait for Redis as long as BullMQ's own connections do (no retry
 * limit), auto-pipelined, for what goes with queued jobs (the labs' step slots).
 */
export type RedisMode = 'fail-fast' | 'patient' | 'like-queue';

const MODES: Record<RedisMode, RedisOptions> = {
  // Auto-pipelining: the commands of one event-loop turn go out in one write (a class
  // verifying at once sends its rate-limit counts together, not one round trip each).
  'fail-fast': { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true },
  patient: { maxRetriesPerRequest: 2 },
  'like-queue': { maxRetriesPerRequest: null, enableAutoPipelining: true },
};

/**
 * The one way NetLabs opens an ioredis client of its own (BullMQ opens its own from
 * redisConnection). Connection errors go to `onError`: without a listener ioredis prints
 * every reconnection attempt as an unhandled error.
 */
export function redisClient(url: string, mode: RedisMode, onError: (message: string) => void): Redis {
  const redis = new Redis({ ...redisAddress(url), ...MODES[mode] });
  redis.on('error', (error: Error) => onError(`Redis: ${error.message}`));
  return redis;
}

/**
 * A warning said at most once per `everyMs` (Redis away for minutes must not fill the log
 * with one line per request); the ones in between are dropped.
 */
export function rarely(logger: Pick<Logger, 'warn'>, everyMs = 60_000): (message: string) => void {
  let last = 0;
  return (message) => {
    if (Date.now() - last < everyMs) return;
    last = Date.now();
    logger.warn(message);
  };
}
