import { Inject, Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { RateLimitStore } from './rate-limit.store';
import { TooManyRequestsException } from './too-many-requests.exception';

const WINDOW_MS = 60_000;

/**
 * Requests that carry no valid token, counted per client address (IPv6: per /64) in
 * Redis, so every API process sees the same count. Past RATE_LIMIT_ANON of them in a
 * minute, the address is refused before any token of it is looked up: guessing tokens
 * costs no database work and gets nowhere. Requests with a valid token are never counted,
 * so a classroom behind one school address does not use this limit up.
 */
@Injectable()
export class AddressLimiter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: RateLimitStore,
  ) {}

  /** Throws 429 when `address` is over its limit of requests without a valid token. */
  async admit(address: string | undefined): Promise<void> {
    const { hits, msLeft } = await this.store.peek(keyOf(address));
    if (hits < this.config.RATE_LIMIT_ANON) return;
    const retry = Math.max(1, Math.ceil(msLeft / 1000));
    throw new TooManyRequestsException(
      `too many requests without a valid token from this address; retry in ${retry} s (at most ${this.config.RATE_LIMIT_ANON} a minute)`,
      retry,
    );
  }

  /** Counts a request from `address` that had no valid token. */
  async failed(address: string | undefined): Promise<void> {
    await this.store.count(keyOf(address), WINDOW_MS);
  }
}

const keyOf = (address: string | undefined) => `per-address:${address ? normalizeIp(address) : 'unknown'}`;
