import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { redisClient } from '../queue/redis-connection';

/**
 * What happened to a lab that every process holding something of it must hear about.
 * Sent through Redis between processes of possibly different versions: a contract, add
 * types, never change one.
 */
const labEventSchema = z.discriminatedUnion('type', [
  /** The student's token stopped working: revoked, or replaced by a new one. */
  z.object({ type: z.literal('token-revoked'), labId: z.string().uuid(), why: z.enum(['revoked', 'rotated']) }),
  /**
   * The lab's status changed (published by the worker where it happens): class progress
   * streams follow it. `classId` when the publisher has it at hand (followers also know
   * their labs by id); `reason`: why it failed or ended, when it did.
   */
  z.object({
    type: z.literal('lab-status'),
    labId: z.string().uuid(),
    classId: z.string().uuid().optional(),
    status: z.enum(['provisioning', 'ready', 'failed', 'destroying', 'destroyed']),
    reason: z.string().optional(),
  }),
  /**
   * A terminal session must end (DELETE on another API process): the process holding its
   * shell ends it. `owner` is that process's id (apps/api/terminals/terminal-directory.ts).
   */
  z.object({ type: z.literal('terminal-end'), labId: z.string().uuid(), sessionId: z.string().uuid(), owner: z.string().min(1) }),
]);
export type LabEvent = z.infer<typeof labEventSchema>;

const envelopeSchema = z.object({ origin: z.string(), event: labEventSchema });

export type LabEventHandler = (event: LabEvent) => void;

/**
 * A bus of lab events across every NetLabs process of a deployment (Redis pub/sub on
 * `<QUEUE_PREFIX>:lab-events`). `publish` reaches this process's handlers at once, even
 * with Redis away, and the other processes through Redis. Pub/sub keeps nothing: a
 * process that is down when an event is sent never hears of it (what it held ended with it).
 */
@Injectable()
export class LabEvents implements OnModuleDestroy {
  private readonly logger = new Logger(LabEvents.name);
  /** Tells our own messages apart when Redis echoes them back to our subscriber. */
  private readonly origin = randomUUID();
  private readonly channel: string;
  private readonly redisUrl: string;
  private readonly handlers = new Set<LabEventHandler>();
  private publisher?: Redis;
  private subscriber?: Redis;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.channel = `${config.QUEUE_PREFIX}:lab-events`;
    this.redisUrl = config.REDIS_URL;
  }

  /**
   * Sends `event` to every process. This process's handlers run first, whatever Redis does;
   * false (logged) when Redis did not take it, so the other processes did not hear it.
   */
  async publish(event: LabEvent): Promise<boolean> {
    this.deliver(event);
    this.publisher ??= this.connect('publisher');
    try {
      await this.publisher.publish(this.channel, JSON.stringify({ origin: this.origin, event }));
      return true;
    } catch (error) {
      this.logger.error(`lab event ${event.type} of ${event.labId} reached this process only: ${String(error)}`);
      return false;
    }
  }

  /** Calls `handler` for every event from any process, from now on; returns the unsubscribe. */
  subscribe(handler: LabEventHandler): () => void {
    this.handlers.add(handler);
    if (!this.subscriber) {
      const subscriber = this.connect('subscriber');
      subscriber.on('message', (channel: string, text: string) => channel === this.channel && this.receive(text));
      // ioredis subscribes again by itself after a reconnection.
      subscriber.subscribe(this.channel).catch((error: unknown) => this.logger.error(`cannot subscribe to ${this.channel}: ${String(error)}`));
      this.subscriber = subscriber;
    }
    return () => this.handlers.delete(handler);
  }

  onModuleDestroy(): void {
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }

  private receive(text: string): void {
    let parsed: z.infer<typeof envelopeSchema>;
    try {
      parsed = envelopeSchema.parse(JSON.parse(text));
    } catch {
      // A newer process's event type, or garbage: not ours to act on.
      this.logger.warn(`ignored a lab event this version does not know: ${text.slice(0, 200)}`);
      return;
    }
    if (parsed.origin !== this.origin) this.deliver(parsed.event);
  }

  private deliver(event: LabEvent): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (error) {
        this.logger.error(`lab event ${event.type} of ${event.labId}: handler failed: ${String(error)}`);
      }
    }
  }

  private connect(role: string): Redis {
    return redisClient(this.redisUrl, 'patient', (message) => this.logger.warn(`${message} (${role})`));
  }
}
