import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { rarely, redisClient } from '../../../libs/queue/redis-connection';

/** A login NetLabs started: which registration, which nonce (bound to the browser by the state cookie). */
export interface LoginRecord {
  platformId: string;
  nonce: string;
}

/** What a deep-linking answer needs, kept while the instructor picks a lab. */
export interface DeepLinkTicket {
  platformId: string;
  deploymentId: string;
  returnUrl: string;
  data?: string;
}

/** A login is good for this long (the user is redirected to the LMS and back at once). */
export const LOGIN_TTL_S = 600;

/**
 * LTI's short-lived state in Redis, shared by every API process (a launch may reach another
 * process than its login): logins by state, nonces used (SET NX: a nonce is taken once), and
 * deep-linking tickets.
 */
@Injectable()
export class LtiStateStore implements OnModuleDestroy {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = `${config.QUEUE_PREFIX}:lti:`;
    this.redis = redisClient(config.REDIS_URL, 'patient', rarely(new Logger(LtiStateStore.name)));
  }

  async saveLogin(state: string, record: LoginRecord): Promise<void> {
    await this.redis.set(`${this.prefix}login:${state}`, JSON.stringify(record), 'EX', LOGIN_TTL_S);
  }

  async login(state: string): Promise<LoginRecord | null> {
    const raw = await this.redis.get(`${this.prefix}login:${state}`);
    return raw ? (JSON.parse(raw) as LoginRecord) : null;
  }

  /** True the first time a nonce is used, false ever after (until it expires with its token). */
  async useNonce(nonce: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}nonce:${nonce}`, '1', 'EX', Math.max(60, Math.ceil(ttlSeconds)), 'NX')) === 'OK';
  }

  async saveTicket(ticket: string, value: DeepLinkTicket): Promise<void> {
    await this.redis.set(`${this.prefix}deep-link:${ticket}`, JSON.stringify(value), 'EX', 1800);
  }

  /** The ticket, once: a deep-linking answer is sent at most once. */
  async takeTicket(ticket: string): Promise<DeepLinkTicket | null> {
    const raw = await this.redis.getdel(`${this.prefix}deep-link:${ticket}`);
    return raw ? (JSON.parse(raw) as DeepLinkTicket) : null;
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
