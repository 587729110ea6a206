import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { QueueName } from './jobs';

/**
 * A slot lives this long unless its holder renews it (every HOST_SLOT_RENEW_MS while its
 * job runs): the slots of a worker that died free themselves after at most this.
 */
export const HOST_SLOT_LEASE_MS = 60_000;
export const HOST_SLOT_RENEW_MS = 15_000;

/**
 * Takes a slot when the host has fewer than `max` live ones (expired leases dropped first).
 * Redis' own clock, so workers on several machines agree.
 * KEYS[1] the host's set; ARGV: max, lease ms, holder.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1`;

/** Extends a held slot's lease (XX: never re-adds one that expired and was dropped). */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return held`;

/** Live slots of a host (expired leases not counted). */
const COUNT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], now, '+inf')`;

interface SlotCommands {
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
  zrem(key: string, member: string): Promise<number>;
}

/** What the workers need of the per-host slots (tests give a fake). */
export interface HostSlotStore {
  readonly perHost: number;
  /** Takes one of the host's slots for `holder` (idempotent per holder); false when all are in use. */
  take(hostId: string, holder: string): Promise<boolean>;
  renew(hostId: string, holder: string): Promise<void>;
  release(hostId: string, holder: string): Promise<void>;
}

/**
 * Per-host provisioning concurrency over every worker (HOST_PROVISION_CONCURRENCY): the
 * engine creates networks one at a time, so a flood of jobs for one host only queues up
 * inside it while the jobs hold every worker slot. A provision, reset or teardown job
 * takes a slot of its host for its run (apps/worker/provisioning/host-job-gate.ts); a job
 * whose host has none free goes back to the queue, delayed, and the worker takes other
 * work. A sorted set per host in Redis (holder -> lease end).
 */
@Injectable()
export class HostSlots implements HostSlotStore {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Labs) private readonly labs: Queue,
  ) {}

  get perHost(): number {
    return this.config.HOST_PROVISION_CONCURRENCY;
  }

  async take(hostId: string, holder: string): Promise<boolean> {
    const taken = await (await this.client()).eval(TAKE, 1, this.key(hostId), String(this.perHost), String(HOST_SLOT_LEASE_MS), holder);
    return Number(taken) === 1;
  }

  async renew(hostId: string, holder: string): Promise<void> {
    await (await this.client()).eval(RENEW, 1, this.key(hostId), String(HOST_SLOT_LEASE_MS), holder);
  }

  async release(hostId: string, holder: string): Promise<void> {
    await (await this.client()).zrem(this.key(hostId), holder);
  }

  /** Slots of the host in use now (metrics, tests). */
  async inUse(hostId: string): Promise<number> {
    return Number(await (await this.client()).eval(COUNT, 1, this.key(hostId)));
  }

  /** The Redis key of a host's slots (tests hold slots to make a host busy). */
  key(hostId: string): string {
    return `${this.config.QUEUE_PREFIX}:host-slots:${hostId}`;
  }

  private async client(): Promise<SlotCommands> {
    return (await this.labs.client) as unknown as SlotCommands;
  }
}
