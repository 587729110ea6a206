import { randomUUID } from 'node:crypto';
import {
  ConflictException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleDestroy,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { scopeOf } from '../../../libs/docker/lab-scope';
import { CONSOLE, DockerLayerError, type LabScope } from '../../../libs/docker/tenant-docker';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { isClaimed, LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { TerminalSessionRepository } from '../../../libs/persistence/terminal-session.repository';
import { LabEvents } from '../../../libs/events/lab-events';
import { requireLabAccess } from '../common/access';
import { type Actor, describeActor } from '../common/actor';
import { TokenResolver } from '../common/token-resolver';
import { type EndReason, LiveTerminal, type LiveTerminalLimits } from './live-terminal';
import { CloseCode, OWNER_GONE_MESSAGE } from './terminal-protocol';
import { DirectoryUnavailable, TerminalDirectory } from './terminal-directory';
import { hashTicket, newTicket } from './terminal-ticket';
import { TerminalRegistry } from './terminal.registry';
import { TerminalReaper } from './terminal-reaper';
import { CONSOLE_TERMINAL, layerName } from './terminal.schemas';

/** Touching the lab on every keystroke would be one UPDATE per key: once a while is enough for the reaper. */
const TOUCH_EVERY_MS = 30_000;
/** Shells are killed and records written at shutdown, but not past this (the supervisor's patience is finite). */
const SHUTDOWN_WAIT_MS = 4_000;

/** Per session: output kept for a reconnect, and how much may wait for a slow client before the shell is paused. */
const BUFFERS = { ringBytes: 64 * 1024, highWaterBytes: 256 * 1024, lowWaterBytes: 32 * 1024 };

/**
 * The API process holding a session's shell died: the shell is gone with it. 410 on the
 * reconnect route; on the upgrade the gateway accepts and closes with CloseCode.OwnerGone
 * so a browser (which never sees a refused upgrade's status) can say why.
 */
export class TerminalOwnerGone extends HttpException {
  constructor() {
    super(OWNER_GONE_MESSAGE, HttpStatus.GONE);
  }
}

@Injectable()
export class TerminalsService implements OnModuleDestroy {
  private readonly logger = new Logger(TerminalsService.name);
  private readonly lastTouch = new Map<string, number>();
  /** Timers that drop sessions created here if nobody opens them in time. */
  private readonly unopened = new Set<NodeJS.Timeout>();
  /** Writes of ended sessions not finished yet, awaited at shutdown. */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly catalogue: LabCatalogue,
    private readonly hosts: DockerHostPool,
    private readonly records: TerminalSessionRepository,
    private readonly registry: TerminalRegistry,
    private readonly directory: TerminalDirectory,
    private readonly reaper: TerminalReaper,
    private readonly tokens: TokenResolver,
    private readonly events: LabEvents,
  ) {}

  /** Creates a session into the lab's console or a TP container; the shell starts when its url is opened (on any API process). */
  async create(actor: Actor, labId: string, container: string) {
    const { lab } = await this.readyLab(actor, labId);
    const open = this.terminalContainers(lab.labDefinitionId);
    if (!open.includes(container)) {
      throw new NotFoundException(`container ${container} is not open to terminals in this lab (open: ${open.join(', ')})`);
    }
    await this.requireRunning(lab.hostId!, scopeOf(lab, this.config), container);
    const id = randomUUID();
    const { ticket, hash } = newTicket();
    const who = describeActor(actor);
    // Counted and reserved in one Redis script: two creations at once, on any processes, cannot both take the last slot.
    const reserved = await this.shared(() => this.directory.reserve({ id, labId, container, actor: who }, this.config.TERMINAL_MAX_PER_LAB, hash));
    if ('live' in reserved) {
      throw new HttpException(
        `lab ${labId} already has ${reserved.live} open terminals, the most allowed: close one (or wait for it to end) and try again`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    try {
      await this.records.create({ id, labId, container, actor: who });
    } catch (error) {
      await this.directory.end(labId, id).catch(() => undefined);
      throw error;
    }
    this.expireUnopened(labId, id, this.config.TERMINAL_TICKET_TTL_MS);
    this.logger.log(`terminal ${id} created in lab ${labId}, container ${container} (${who})`);
    return this.answer(labId, id, container, 'pending', ticket, reserved.expiresAt);
  }

  /**
   * A new single-use url for a live session (after a dropped connection, or from another
   * page), on any API process. 410 when the process holding its shell died.
   */
  async reconnect(actor: Actor, labId: string, sessionId: string) {
    requireLabAccess(actor, labId);
    const { ticket, hash } = newTicket();
    const outcome = await this.shared(() => this.directory.issueTicket(labId, sessionId, hash));
    if (outcome.kind === 'missing') throw new NotFoundException(`terminal session ${sessionId} not found or already ended`);
    if (outcome.kind === 'owner-gone') throw this.ownerLost(sessionId);
    return this.answer(labId, sessionId, outcome.container, outcome.state, ticket, outcome.expiresAt);
  }

  /** What the student page shows: containers one may open (and whether they run), and live sessions of every API process. */
  async overview(actor: Actor, labId: string) {
    const lab = await this.loadLab(actor, labId);
    const names = this.terminalContainers(lab.labDefinitionId);
    let states = new Map<string, string>();
    if (lab.status === LabStatus.ready && lab.hostId) {
      const docker = this.hosts.get(lab.hostId);
      const scope = scopeOf(lab, this.config);
      const [listed, console] = await Promise.all([
        docker.listContainers(scope).catch(() => []),
        docker.inspectContainer(scope, CONSOLE).catch(() => null),
      ]);
      states = new Map(listed.map((c) => [c.name, c.running ? 'running' : c.state]));
      if (console) states.set(CONSOLE_TERMINAL, console.running ? 'running' : console.state);
    }
    return {
      labId,
      limit: this.config.TERMINAL_MAX_PER_LAB,
      containers: names.map((name) => ({ name, state: states.get(name) ?? 'missing' })),
      sessions: await this.shared(() => this.directory.list(labId)),
    };
  }

  /**
   * Ends a session on request (an instructor, or a page closing a tab without its socket).
   * Here when this process holds it or nobody opened it yet; else its owner is told (LabEvents)
   * and the answer says `ending`.
   */
  async end(actor: Actor, labId: string, sessionId: string) {
    requireLabAccess(actor, labId);
    const local = this.registry.get(sessionId);
    if (local?.info.labId === labId) {
      local.end('ended-by-request', 'session ended', CloseCode.Normal, 'ended by request');
      return { id: sessionId, state: 'ended' };
    }
    const outcome = await this.shared(() => this.directory.end(labId, sessionId));
    if (outcome.kind === 'missing' || (outcome.kind === 'owner' && outcome.owner === this.directory.processId)) {
      throw new NotFoundException(`terminal session ${sessionId} not found or already ended`);
    }
    if (outcome.kind === 'ended') this.recordEndById(sessionId, 'ended-by-request');
    if (outcome.kind === 'owner-gone') this.reaper.reapNow(sessionId);
    if (outcome.kind !== 'owner') return { id: sessionId, state: 'ended' };
    const told = await this.events.publish({ type: 'terminal-end', labId, sessionId, owner: outcome.owner });
    if (!told) throw new ServiceUnavailableException('the API process holding this terminal could not be told to end it; try again in a moment');
    return { id: sessionId, state: 'ending' };
  }

  /** A `terminal-end` event for a session this process holds (TerminalAccessWatch). */
  endOnRequest(labId: string, sessionId: string): void {
    const session = this.registry.get(sessionId);
    if (session?.info.labId === labId) session.end('ended-by-request', 'session ended', CloseCode.Normal, 'ended by request');
  }

  /**
   * Everything the WebSocket upgrade must pass, in order: the client's address under its
   * limit of requests without a valid token (429), a token (401), a session of a lab
   * the token opens (404), the lab still ready (409), the process that holds its shell
   * alive (TerminalOwnerGone) and this one (421), the ticket (403, burnt on success). The
   * first upgrade of a session makes this process its owner.
   */
  async authorizeUpgrade(token: string | undefined, address: string | undefined, sessionId: string, ticket: string | null): Promise<LiveTerminal> {
    const actor = await this.tokens.resolve(token, address);
    if (!actor) throw new UnauthorizedException('a valid token is required (Authorization header, token query or netlabs.token.<token> subprotocol)');
    const record = await this.shared(() => this.directory.get(sessionId));
    if (!record) throw new NotFoundException(`terminal session ${sessionId} not found or already ended`);
    requireLabAccess(actor, record.labId);
    const lab = await this.labs.findById(record.labId);
    if (lab?.status !== LabStatus.ready || !lab.hostId) throw new ConflictException(`lab ${record.labId} is ${lab?.status ?? 'gone'}, not ready`);
    const outcome = ticket ? await this.shared(() => this.directory.claim(record, hashTicket(ticket))) : 'bad-ticket';
    switch (outcome) {
      case 'missing':
        throw new NotFoundException(`terminal session ${sessionId} not found or already ended`);
      case 'bad-ticket':
        throw new ForbiddenException('this terminal url was already used or has expired: ask for a new one (POST /labs/:id/terminals/:sessionId/reconnect)');
      case 'owner-gone':
        throw this.ownerLost(sessionId);
      case 'elsewhere':
        throw new HttpException(
          `terminal session ${sessionId} runs on another NetLabs API process: a proxy must send every /terminals/<sessionId> request of one session to the same process (hash on the session id)`,
          HttpStatus.MISDIRECTED,
        );
      case 'mine': {
        const session = this.registry.get(sessionId);
        if (!session) throw new NotFoundException(`terminal session ${sessionId} not found or already ended`);
        return session;
      }
      case 'claimed': {
        const session = this.newSession({ id: record.id, labId: record.labId, hostId: lab.hostId, scope: scopeOf(lab, this.config), container: record.container, actor: record.actor });
        this.registry.add(session);
        return session;
      }
    }
  }

  /** Starts the session's shell (first attach only); a failure is an HTTP answer on the upgrade. */
  async startShell(session: LiveTerminal, size: { rows: number; cols: number }): Promise<void> {
    try {
      await session.open(() => this.hosts.get(session.info.hostId).openTerminal(session.info.scope, layerName(session.info.container), session.id, size));
    } catch (error) {
      this.logger.warn(`terminal ${session.id}: could not start a shell: ${String(error)}`);
      if (error instanceof DockerLayerError && error.kind === 'not-found') throw new NotFoundException(`container ${session.info.container} no longer exists`);
      if (error instanceof DockerLayerError && error.kind === 'conflict') throw new ConflictException(`container ${session.info.container} is not running`);
      throw new HttpException(`the Docker engine did not start a shell in ${session.info.container}`, HttpStatus.BAD_GATEWAY);
    }
  }

  /**
   * The API stops: every shell is ended (no other process could reach it) and recorded.
   * On module destroy, because the database and engine clients are still there then
   * (application shutdown hooks run after Prisma has disconnected).
   */
  async onModuleDestroy(): Promise<void> {
    for (const timer of this.unopened) clearTimeout(timer);
    const sessions = this.registry.all();
    for (const session of sessions) {
      session.end('api-shutdown', 'session closed: NetLabs is restarting', CloseCode.GoingAway, 'server shutting down');
    }
    const settled = Promise.all([...sessions.map((s) => s.settled()), ...this.writes]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
  }

  private answer(labId: string, id: string, container: string, state: string, ticket: string, expiresAt: Date) {
    return { id, labId, container, state, url: `/terminals/${id}?ticket=${ticket}`, expiresAt };
  }

  /** Once its ticket ran out, drops a session created here that nobody opened (on any process), freeing its slot. */
  private expireUnopened(labId: string, id: string, afterMs: number): void {
    const timer = setTimeout(() => {
      this.unopened.delete(timer);
      this.directory.expirePending(labId, id).then(
        (left) => {
          if (left === 0) this.recordEndById(id, 'never-opened');
          else if (left > 0) this.expireUnopened(labId, id, left + 50);
        },
        (error: unknown) => this.logger.warn(`terminal ${id}: could not check whether it was opened: ${String(error)}`),
      );
    }, afterMs + 50);
    timer.unref();
    this.unopened.add(timer);
  }

  /** The process holding the shell died: its shell is ended and recorded (once, whichever process notices), and said so. */
  private ownerLost(sessionId: string): HttpException {
    this.reaper.reapNow(sessionId);
    return new TerminalOwnerGone();
  }

  /** Redis is where sessions are shared: without it, terminals answer 503. */
  private async shared<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DirectoryUnavailable) throw new ServiceUnavailableException('terminals are unavailable for a moment (NetLabs cannot reach Redis); try again shortly');
      throw error;
    }
  }

  private newSession(info: ConstructorParameters<typeof LiveTerminal>[0]): LiveTerminal {
    const limits: LiveTerminalLimits = {
      ...BUFFERS,
      idleMs: this.config.TERMINAL_IDLE_MS,
      graceMs: this.config.TERMINAL_GRACE_MS,
      stuckMs: this.config.TERMINAL_STUCK_MS,
    };
    const session: LiveTerminal = new LiveTerminal(info, limits, {
      opened: () => void this.records.markOpened(info.id).catch((e: unknown) => this.logger.warn(`record ${info.id}: ${String(e)}`)),
      changed: (state) => this.directory.setState(info.id, state),
      input: () => this.touch(info.labId),
      ended: (reason) => this.recordEnd(session, reason),
      warn: (message) => this.logger.warn(message),
    });
    return session;
  }

  private recordEnd(session: LiveTerminal, reason: EndReason): void {
    this.registry.remove(session.id);
    if (!this.registry.forLab(session.info.labId).length) this.lastTouch.delete(session.info.labId);
    this.logger.log(`terminal ${session.id} ended: ${reason} (in ${session.bytesIn} B, out ${session.bytesOut} B)`);
    this.track(
      this.directory.remove(session.info.labId, session.id).catch((error: unknown) => this.logger.warn(`terminal ${session.id} still listed in Redis until its lease ends: ${String(error)}`)),
    );
    this.track(
      this.records
        .end(session.id, { reason, bytesIn: session.bytesIn, bytesOut: session.bytesOut })
        .catch((error: unknown) => this.logger.error(`could not record the end of terminal ${session.id}: ${String(error)}`)),
    );
  }

  /** The end of a session this process holds no shell of (bytes unknown: 0); the first reason written stays. */
  private recordEndById(id: string, reason: EndReason): void {
    this.logger.log(`terminal ${id} ended: ${reason}`);
    this.track(this.records.end(id, { reason, bytesIn: 0, bytesOut: 0 }).catch((error: unknown) => this.logger.error(`could not record the end of terminal ${id}: ${String(error)}`)));
  }

  /** Writes awaited at shutdown. */
  private track(write: Promise<unknown>): void {
    const tracked = write.finally(() => this.writes.delete(tracked));
    this.writes.add(tracked);
  }

  /**
   * Lab activity, from the process holding the shell (input arrives there). Each process
   * writes at most once per TOUCH_EVERY_MS and lab: with N processes, up to N writes.
   */
  private touch(labId: string): void {
    const now = Date.now();
    if (now - (this.lastTouch.get(labId) ?? 0) < TOUCH_EVERY_MS) return;
    this.lastTouch.set(labId, now);
    this.labs.touch(labId).catch((error: unknown) => this.logger.warn(`touch lab ${labId}: ${String(error)}`));
  }

  /** The console, then the TP containers the lab definition opens to terminals. */
  private terminalContainers(labDefinitionId: string): string[] {
    return [CONSOLE_TERMINAL, ...(this.catalogue.get(labDefinitionId)?.terminalContainers ?? [])];
  }

  private async requireRunning(hostId: string, scope: LabScope, container: string): Promise<void> {
    let info;
    try {
      info = await this.hosts.get(hostId).inspectContainer(scope, layerName(container));
    } catch (error) {
      this.logger.warn(`inspect ${container} on ${hostId}: ${String(error)}`);
      throw new ServiceUnavailableException(`the Docker host of this lab does not answer; try again in a moment`);
    }
    if (!info && container === CONSOLE_TERMINAL) throw new ConflictException('the console of this lab is being rebuilt: try again in a minute');
    if (!info) throw new NotFoundException(`container ${container} does not exist in this lab yet: the step that creates it has not been done`);
    if (!info.running) throw new ConflictException(`container ${container} is not running (it is ${info.state}): start it first`);
  }

  private async readyLab(actor: Actor, labId: string) {
    const lab = await this.loadLab(actor, labId);
    if (lab.status !== LabStatus.ready || !lab.hostId) throw new ConflictException(`lab ${labId} is ${lab.status}, not ready`);
    return { lab, hostId: lab.hostId, scope: scopeOf(lab, this.config) };
  }

  private async loadLab(actor: Actor, labId: string) {
    requireLabAccess(actor, labId);
    const lab = await this.labs.findById(labId);
    // A warm lab is nobody's until a student claims it (README.md, "Warm labs").
    if (!lab || !isClaimed(lab)) throw new NotFoundException(`lab ${labId} not found`);
    return lab;
  }
}
