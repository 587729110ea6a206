import type { ConnectionOptions } from 'bullmq';

/** ioredis options for BullMQ from a redis:// URL. */
export function redisConnection(url: string): ConnectionOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    // BullMQ workers block on Redis; ioredis must not give up on a command.
    maxRetriesPerRequest: null,
  };
}
