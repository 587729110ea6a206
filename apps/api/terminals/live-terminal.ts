import type { LabScope, TerminalStream } from '../../../libs/docker/tenant-docker';
import { OutputRing } from './output-ring';
import { CloseCode, humanDuration, noticeLine } from './terminal-protocol';

/** One WebSocket as a session sees it (the gateway adapts `ws` to this). */
export interface TerminalClient {
  /** Buffer = binary frame (output), string = text frame (control). `sent` runs once it left our buffers. */
  send(data: Buffer | string, sent?: () => void): void;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake (a client that does not read would never finish one). */
  cut(): void;
}

export interface LiveTerminalLimits {
  idleMs: number;
  graceMs: number;
  ringBytes: number;
  /** Past this many bytes waiting for the client, the shell's output is paused. */
  highWaterBytes: number;
  /** ...and resumed once the client is back under this. */
  lowWaterBytes: number;
  /** A client paused for this long is cut. */
  stuckMs: number;
}

export interface LiveTerminalHooks {
  opened(): void;
  /** The session got a client (attached) or lost it without ending (detached). */
  changed(state: 'attached' | 'detached'): void;
  /** Input arrived (the lab is being used). */
  input(): void;
  ended(reason: EndReason): void;
  warn(message: string): void;
}

/** Why a session ended, as stored in TerminalSession.endReason. */
export type EndReason =
  | 'closed'
  | 'idle'
  | 'disconnected'
  | 'shell-exited'
  | 'never-opened'
  | 'ended-by-request'
  | 'api-shutdown'
  | 'open-failed'
  | 'token-revoked'
  /** The API process holding the shell died (its lease ran out): written by the one that reaped it (TerminalReaper). */
  | 'owner-lost';

export type LiveTerminalState = 'pending' | 'attached' | 'detached' | 'ended';

export interface LiveTerminalInfo {
  id: string;
  labId: string;
  hostId: string;
  scope: LabScope;
  container: string;
  actor: string;
}

/**
 * A shell in a lab container and the one WebSocket (at most) showing it, in the API
 * process that took the session's first upgrade (tickets are checked before, in Redis:
 * terminal-directory.ts). The shell outlives its socket for a grace period so a student
 * whose connection dropped gets it back, with the output printed meanwhile (kept in a
 * bounded ring).
 */
export class LiveTerminal {
  state: LiveTerminalState = 'pending';
  endReason?: EndReason;
  bytesIn = 0;
  bytesOut = 0;
  readonly startedAt = new Date();
  private readonly ring: OutputRing;
  private stream?: TerminalStream;
  private opening?: Promise<void>;
  private client?: TerminalClient;
  private killed?: Promise<void>;
  private paused = false;
  /** When the session last counted as used (armIdle). */
  private idleFrom = 0;
  private readonly timers: Partial<Record<'idle' | 'grace' | 'stuck', NodeJS.Timeout>> = {};

  constructor(
    readonly info: LiveTerminalInfo,
    private readonly limits: LiveTerminalLimits,
    private readonly hooks: LiveTerminalHooks,
  ) {
    this.ring = new OutputRing(limits.ringBytes);
  }

  get id(): string {
    return this.info.id;
  }

  /** Starts the shell once; later callers wait for the same start. */
  open(start: () => Promise<TerminalStream>): Promise<void> {
    this.opening ??= start().then(
      (stream) => {
        if (this.state === 'ended') {
          this.killed = stream.kill().catch(() => undefined);
          return;
        }
        this.stream = stream;
        stream.onData((chunk) => this.output(chunk));
        stream.onEnd(() => {
          this.end('shell-exited', 'session ended: the shell exited', CloseCode.Normal, 'shell exited');
        });
      },
      (error: unknown) => {
        this.end('open-failed');
        throw error;
      },
    );
    return this.opening;
  }

  /** Shows the session on `client`, replaying what it missed since `since` (a stream offset). */
  attach(client: TerminalClient, since: number): void {
    if (this.state === 'ended') {
      client.close(CloseCode.Normal, `session ${this.endReason}`);
      return;
    }
    const previous = this.client;
    this.client = client;
    if (previous) previous.close(CloseCode.Replaced, 'replaced by a newer connection');
    else this.hooks.opened();
    this.state = 'attached';
    this.hooks.changed('attached');
    this.disarm('grace');
    this.unpause();
    const missed = this.ring.since(since);
    client.send(JSON.stringify({ type: 'ready', session: this.id, container: this.info.container, offset: missed.from, lost: missed.lost }));
    if (missed.data.length) this.deliver(missed.data);
    this.armIdle();
  }

  /** The client's socket closed: on purpose (the shell is killed) or not (kept for the grace period). */
  clientGone(client: TerminalClient, deliberate: boolean): void {
    if (client !== this.client) return;
    if (!deliberate) return this.detach(client);
    this.client = undefined;
    this.end('closed');
  }

  /** The client's socket went away without ending the session: keep the shell for the grace period. */
  detach(client: TerminalClient): void {
    if (client !== this.client || this.state === 'ended') return;
    this.client = undefined;
    this.state = 'detached';
    this.hooks.changed('detached');
    this.disarm('idle');
    this.unpause();
    if (this.limits.graceMs <= 0) this.end('disconnected');
    else this.arm('grace', this.limits.graceMs, () => this.end('disconnected'));
  }

  input(client: TerminalClient, data: Buffer | string): void {
    if (client !== this.client || !this.stream || this.state !== 'attached') return;
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (!length) return;
    this.bytesIn += length;
    this.stream.write(data);
    this.armIdle();
    this.hooks.input();
  }

  resize(client: TerminalClient, rows: number, cols: number): void {
    if (client !== this.client || !this.stream) return;
    this.armIdle();
    this.stream.resize(rows, cols).catch((error: unknown) => this.hooks.warn(`resize of ${this.id}: ${String(error)}`));
  }

  /** Ends the session for good: tells the client why, kills the shell (not only its stream: portainer#665). */
  end(reason: EndReason, notice?: string, code: number = CloseCode.Normal, closeReason?: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    for (const name of Object.keys(this.timers) as (keyof typeof this.timers)[]) this.disarm(name);
    const client = this.client;
    this.client = undefined;
    if (client) {
      if (notice) client.send(noticeLine(notice));
      client.close(code, closeReason ?? reason);
    }
    // Even when the shell exited by itself: what it started in the background (a fork bomb
    // started with `&` before `exit`) carries the session's tag and goes with it.
    if (this.stream) {
      this.killed = this.stream.kill().catch((error: unknown) => this.hooks.warn(`kill of ${this.id}: ${String(error)}`));
    }
    this.hooks.ended(reason);
  }

  /** Resolves once an ended session's shell is gone. */
  async settled(): Promise<void> {
    await this.killed;
  }

  private output(chunk: Buffer): void {
    this.bytesOut += chunk.length;
    this.ring.push(chunk);
    if (this.client) this.deliver(chunk);
  }

  /** Sends output, pausing the shell while the client lags (bounded memory: back-pressure). */
  private deliver(chunk: Buffer): void {
    const client = this.client!;
    // Only a frame that leaves more than the low water waiting can be the one after which
    // the shell resumes: the others (every keystroke's echo) go without a callback.
    const watch = client.bufferedAmount() + chunk.length > this.limits.lowWaterBytes;
    client.send(chunk, watch ? () => {
      if (this.paused && this.client === client && client.bufferedAmount() <= this.limits.lowWaterBytes) this.unpause();
    } : undefined);
    if (!this.paused && client.bufferedAmount() > this.limits.highWaterBytes) {
      this.paused = true;
      this.stream?.pause();
      this.arm('stuck', this.limits.stuckMs, () => {
        if (this.client !== client) return;
        this.hooks.warn(`terminal ${this.id}: client read nothing for ${humanDuration(this.limits.stuckMs)}, cutting it`);
        // The shell stays: the client may come back within the grace period.
        client.cut();
        this.detach(client);
      });
    }
  }

  private unpause(): void {
    this.disarm('stuck');
    if (!this.paused) return;
    this.paused = false;
    this.stream?.resume();
  }

  /**
   * Counts idleness from now. A keystroke only moves the deadline: the timer, once armed,
   * looks at it when it fires and waits for the rest (no timer replaced on every keystroke).
   */
  private armIdle(): void {
    this.idleFrom = Date.now();
    if (this.timers.idle) return;
    const fire = () => {
      const left = this.idleFrom + this.limits.idleMs - Date.now();
      if (left > 0) return this.arm('idle', left, fire);
      const idle = humanDuration(this.limits.idleMs);
      this.end('idle', `session closed: idle for ${idle}`, CloseCode.Idle, `idle for ${idle}`);
    };
    this.arm('idle', this.limits.idleMs, fire);
  }

  private arm(name: keyof typeof this.timers, ms: number, fire: () => void): void {
    this.disarm(name);
    const timer = setTimeout(() => {
      delete this.timers[name];
      fire();
    }, ms);
    timer.unref();
    this.timers[name] = timer;
  }

  private disarm(name: keyof typeof this.timers): void {
    clearTimeout(this.timers[name]);
    delete this.timers[name];
  }
}
