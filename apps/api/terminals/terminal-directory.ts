import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { rarely, redisClient } from '../../../libs/queue/redis-connection';
import { CLAIM, END, EXPIRE_PENDING, HEARTBEAT, ISSUE, LIST, REAP, RESERVE, type Scripts } from './terminal-scripts';
import { TerminalRegistry } from './terminal.registry';

export type SharedState = 'pending' | 'attached' | 'detached';

export interface SessionRecord {
  id: string;
  labId: string;
  container: string;
  /** describeActor() of whoever created it. */
  actor: string;
  /** The API process holding its shell (`processId`), null until its url is first opened. */
  owner: string | null;
  state: SharedState;
  startedAt: Date;
}

export type IssueOutcome = { kind: 'ok'; state: SharedState; container: string; expiresAt: Date } | { kind: 'missing' } | { kind: 'owner-gone' };
/** claimed: this process now owns it (first upgrade); mine: it already did; elsewhere: another live process does. */
export type ClaimOutcome = 'claimed' | 'mine' | 'missing' | 'bad-ticket' | 'elsewhere' | 'owner-gone';
export type EndOutcome = { kind: 'ended' } | { kind: 'missing' } | { kind: 'owner-gone' } | { kind: 'owner'; owner: string };
/** A session nobody holds any more, taken by this caller to end it (REAP above). */
export interface DeadSession {
  id: string;
  kind: 'unopened' | 'dead' | 'gone';
  /** null when its record expired (`gone`): the database has them. */
  labId: string | null;
  container: string | null;
}

/** Redis did not answer: the caller answers 503 (terminals cannot be shared without it). */
export class DirectoryUnavailable extends Error {}

/**
 * Terminal sessions as every API process of the deployment sees them, in Redis under
 * `<QUEUE_PREFIX>:terminals:`: `s:<id>` (a hash: lab, container, actor, owner, state,
 * start, the current ticket's hash and end), `lab:<labId>` (a sorted set of the lab's
 * sessions scored with the end of their lease: TERMINAL_MAX_PER_LAB is its size) and
 * `proc:<processId>` (this process is alive; expires after TERMINAL_LEASE_MS).
 *
 * A shell's stream lives in one process (TerminalRegistry): the owner, the one that took
 * the first upgrade. It renews its lease every TERMINAL_LEASE_MS / 3; if it dies, its
 * sessions stop counting once the lease ends and the others answer "owner gone".
 */
@Injectable()
export class TerminalDirectory implements OnModuleInit, OnApplicationShutdown {
  /** This API process, as an owner of sessions. */
  readonly processId = randomUUID();
  private readonly logger = new Logger(TerminalDirectory.name);
  private readonly redis: Redis & Scripts;
  private readonly prefix: string;
  private heartbeatTimer?: NodeJS.Timeout;
  /** Redis away: said once a minute at most. */
  private readonly warn = rarely(this.logger);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: TerminalRegistry,
  ) {
    this.prefix = `${config.QUEUE_PREFIX}:terminals:`;
    const redis = redisClient(config.REDIS_URL, 'fail-fast', this.warn);
    redis.defineCommand('reserveTerminal', { numberOfKeys: 3, lua: RESERVE });
    redis.defineCommand('issueTicket', { numberOfKeys: 3, lua: ISSUE });
    redis.defineCommand('claimTerminal', { numberOfKeys: 4, lua: CLAIM });
    redis.defineCommand('expirePending', { numberOfKeys: 3, lua: EXPIRE_PENDING });
    redis.defineCommand('endTerminal', { numberOfKeys: 3, lua: END });
    redis.defineCommand('heartbeat', { lua: HEARTBEAT });
    redis.defineCommand('listTerminals', { numberOfKeys: 1, lua: LIST });
    redis.defineCommand('reapTerminals', { numberOfKeys: 1, lua: REAP });
    this.redis = redis as Redis & Scripts;
  }

  /** Connected before the first request (commands are never queued while Redis is away), then leased. */
  async onModuleInit(): Promise<void> {
    this.logger.log(`terminal sessions shared in Redis; this API process is ${this.processId}`);
    await this.ready(5_000);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(300, Math.floor(this.config.TERMINAL_LEASE_MS / 3)));
    this.heartbeatTimer.unref();
    await this.heartbeat();
  }

  /** Until the connection is up, or `ms` passed (start-up checks Redis itself and says what is missing). */
  async ready(ms: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** After every module's destroy hook: TerminalsService ended (and removed) our sessions, through this connection. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.redis.del(this.procKey(this.processId)).catch(() => undefined);
    this.redis.disconnect();
  }

  /** A new session if the lab has room (its ticket's end), else how many are live. */
  async reserve(input: { id: string; labId: string; container: string; actor: string }, max: number, ticketHash: string): Promise<{ live: number } | { expiresAt: Date }> {
    const ttl = this.config.TERMINAL_TICKET_TTL_MS;
    const fields = { labId: input.labId, container: input.container, actor: input.actor, owner: '', state: 'pending', startedAt: new Date().toISOString(), ticket: ticketHash };
    const live = await this.call(() =>
      this.redis.reserveTerminal(this.labKey(input.labId), this.sessionKey(input.id), this.leasesKey(), max, input.id, ttl, this.config.TERMINAL_LEASE_MS, ...Object.entries(fields).flat()),
    );
    return live >= 0 ? { live } : { expiresAt: new Date(Date.now() + ttl) };
  }

  async get(id: string): Promise<SessionRecord | null> {
    const f = await this.call(() => this.redis.hgetall(this.sessionKey(id)));
    if (!f.labId) return null;
    return { id, labId: f.labId, container: f.container, actor: f.actor, owner: f.owner || null, state: f.state as SharedState, startedAt: new Date(f.startedAt) };
  }

  /** A new ticket for a session of `labId` (replaces the earlier one). */
  async issueTicket(labId: string, id: string, ticketHash: string): Promise<IssueOutcome> {
    const ttl = this.config.TERMINAL_TICKET_TTL_MS;
    const [kind, state, container] = await this.call(() =>
      this.redis.issueTicket(this.sessionKey(id), this.labKey(labId), this.leasesKey(), labId, ticketHash, ttl, this.config.TERMINAL_LEASE_MS, this.procKey(''), id),
    );
    if (kind === 'ok') return { kind, state: state as SharedState, container, expiresAt: new Date(Date.now() + ttl) };
    return { kind: kind as 'missing' | 'owner-gone' };
  }

  /** The upgrade's ticket check; the first one also makes this process the session's owner. */
  async claim(record: SessionRecord, ticketHash: string): Promise<ClaimOutcome> {
    const lease = this.config.TERMINAL_LEASE_MS;
    return (await this.call(() =>
      this.redis.claimTerminal(
        this.sessionKey(record.id),
        this.labKey(record.labId),
        this.procKey(this.processId),
        this.leasesKey(),
        ticketHash,
        this.processId,
        this.procKey(''),
        lease,
        this.recordMs(),
        record.id,
      ),
    )) as ClaimOutcome;
  }

  /** After a ticket's time: drops a session nobody opened. 0: dropped; >0: ms left on a newer ticket; -1: opened or gone. */
  expirePending(labId: string, id: string): Promise<number> {
    return this.call(() => this.redis.expirePending(this.sessionKey(id), this.labKey(labId), this.leasesKey(), id));
  }

  /** Ends what can be ended here; names the owner when another live process holds the shell. */
  async end(labId: string, id: string): Promise<EndOutcome> {
    const [kind, owner] = await this.call(() => this.redis.endTerminal(this.sessionKey(id), this.labKey(labId), this.leasesKey(), labId, id, this.procKey('')));
    return kind === 'owner' ? { kind, owner } : { kind: kind as 'ended' | 'missing' | 'owner-gone' };
  }

  /** The owner says what its session does now (the overview shows it; a page reload takes detached ones back). */
  setState(id: string, state: SharedState): void {
    this.redis.hset(this.sessionKey(id), 'state', state).catch((error: unknown) => this.warn(`terminal ${id}: state not shared: ${String(error)}`));
  }

  /** The owner ended the session: it stops counting and cannot be reconnected. */
  async remove(labId: string, id: string): Promise<void> {
    await this.call(() => this.redis.multi().del(this.sessionKey(id)).zrem(this.labKey(labId), id).zrem(this.leasesKey(), id).exec());
  }

  /** The lab's live sessions, every process's. */
  async list(labId: string): Promise<{ id: string; container: string; state: SharedState; startedAt: Date }[]> {
    const flat = await this.call(() => this.redis.listTerminals(this.labKey(labId), this.sessionKey('')));
    const out = [];
    for (let i = 0; i + 3 < flat.length; i += 4) out.push({ id: flat[i], container: flat[i + 1], state: flat[i + 2] as SharedState, startedAt: new Date(flat[i + 3]) });
    return out;
  }

  /**
   * Takes sessions nobody holds any more (their owner died, or their creator before anyone
   * opened them), `ids` or else any whose lease ran out; each goes to one caller only, which
   * ends it and then calls reaped(). One it does not finish is taken again after `holdMs`.
   */
  async takeDead(holdMs: number, ids: string[] = []): Promise<DeadSession[]> {
    const flat = await this.call(() => this.redis.reapTerminals(this.leasesKey(), this.prefix, holdMs, ...ids));
    const out: DeadSession[] = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      out.push({ id: flat[i], kind: flat[i + 1] as DeadSession['kind'], labId: flat[i + 2] || null, container: flat[i + 3] || null });
    }
    return out;
  }

  /** A dead session taken by takeDead() is ended: nobody takes it again. */
  async reaped(id: string): Promise<void> {
    await this.call(() => this.redis.zrem(this.leasesKey(), id));
  }

  /** Renews this process's lease and its sessions' (exported for tests). */
  async heartbeat(): Promise<void> {
    const sessions = this.registry.all().filter((s) => s.state !== 'ended');
    const keys = [this.procKey(this.processId), this.leasesKey(), ...sessions.flatMap((s) => [this.sessionKey(s.id), this.labKey(s.info.labId)])];
    try {
      await this.redis.heartbeat(keys.length, ...keys, this.config.TERMINAL_LEASE_MS, this.recordMs(), ...sessions.map((s) => s.id));
    } catch (error) {
      this.warn(`terminal leases not renewed (Redis: ${String(error)}); other API processes will take this one for gone in ${this.config.TERMINAL_LEASE_MS} ms`);
    }
  }

  /** An owned record outlives its lease by the grace period: a student reconnecting after a crash is told why. */
  private recordMs(): number {
    return this.config.TERMINAL_LEASE_MS + Math.max(this.config.TERMINAL_GRACE_MS, this.config.TERMINAL_LEASE_MS);
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.warn(`Redis: ${String(error)}`);
      throw new DirectoryUnavailable(String(error));
    }
  }

  private sessionKey(id: string): string {
    return `${this.prefix}s:${id}`;
  }

  private labKey(labId: string): string {
    return `${this.prefix}lab:${labId}`;
  }

  /** Every session of the deployment, scored with the end of its lease (the reaper's list). */
  private leasesKey(): string {
    return `${this.prefix}leases`;
  }

  private procKey(processId: string): string {
    return `${this.prefix}proc:${processId}`;
  }
}
