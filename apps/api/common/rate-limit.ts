import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import type { AppConfig } from '../../../libs/config/app-config';
import type { Actor } from './actor';
import { bearerToken } from './auth.guard';
import type { RateLimitStore } from './rate-limit.store';
import { hashToken } from './tokens';

type Req = { actor?: Actor; headers: Record<string, string | undefined>; ip?: string };

/**
 * Rate limits per token (per client address on public routes): students get
 * RATE_LIMIT_STUDENT requests a minute, the instructor/LMS token RATE_LIMIT_ADMIN, all
 * routes together. Counters live in Redis (RateLimitStore), shared by every API process.
 * Requests without a valid token are limited before this, per address (AddressLimiter).
 */
export function rateLimitOptions(config: AppConfig, storage: RateLimitStore): ThrottlerModuleOptions {
  const isAdmin = (context: ExecutionContext) => context.switchToHttp().getRequest<Req>().actor?.kind === 'admin';
  return {
    throttlers: [{ name: 'per-token', ttl: 60_000, limit: (context) => (isAdmin(context) ? config.RATE_LIMIT_ADMIN : config.RATE_LIMIT_STUDENT) }],
    storage,
    // One count per caller for all routes (the default key is per route handler).
    generateKey: (_context, tracker, name) => `${name}:${tracker}`,
    getTracker: (req) => {
      const token = bearerToken((req as Req).headers.authorization);
      return token ? `token:${hashToken(token)}` : `ip:${(req as Req).ip ?? 'unknown'}`;
    },
    errorMessage: (_context, detail) => `too many requests: at most ${detail.limit} a minute for this token; retry in ${Math.ceil(detail.timeToBlockExpire)} s`,
  };
}
