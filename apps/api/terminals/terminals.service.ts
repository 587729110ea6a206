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
import { requireLabAccess } from '../common/access';
import { type Actor, describeActor } from '../common/actor';
import { TokenResolver } from '../common/token-resolver';
import { type EndReason, LiveTerminal, type LiveTerminalLimits } from './live-terminal';
import { CloseCode } from './terminal-protocol';
import { TerminalRegistry } from './terminal.registry';
import { CONSOLE_TERMINAL } from './terminal.schemas';

/** The layer's name of a terminal target: the console is CONSOLE there, TP containers keep their names. */
const layerName = (container: string) => (container === CONSOLE_TERMINAL ? CONSOLE : container);

/** Touching the lab on every keystroke would be one UPDATE per key: once a while is enough for the reaper. */
const TOUCH_EVERY_MS = 30_000;
/** Shells are killed and records written at shutdown, but not past this (the supervisor's patience is finite). */
const SHUTDOWN_WAIT_MS = 4_000;

/** Per session: output kept for a reconnect, and how much may wait for a slow client before the shell is paused. */
const BUFFERS = { ringBytes: 64 * 1024, highWaterBytes: 256 * 1024, lowWaterBytes: 32 * 1024 };

@Injectable()
export class TerminalsService implements OnModuleDestroy {
  private readonly logger = new Logger(TerminalsService.name);
  private readonly lastTouch = new Map<string, number>();
  /** Sessions being created per lab (between the limit check and the registry). */
  private readonly creating = new Map<string, number>();
  /** Writes of ended sessions not finished yet, awaited at shutdown. */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly catalogue: LabCatalogue,
    private readonly hosts: DockerHostPool,
    private readonly records: TerminalSessionRepository,
    private readonly registry: TerminalRegistry,
    private readonly tokens: TokenResolver,
  ) {}

  /** Creates a session into the lab's console or a TP container; the shell starts when its url is opened. */
  async create(actor: Actor, labId: string, container: string) {
    const { lab, scope, hostId } = await this.readyLab(actor, labId);
    const open = this.terminalContainers(lab.labDefinitionId);
    if (!open.includes(container)) {
      throw new NotFoundException(`container ${container} is not open to terminals in this lab (open: ${open.join(', ')})`);
    }
    await this.requireRunning(hostId, scope, container);
    // Counted and reserved with no await in between, so two creations at once cannot both take the last slot.
    const live = this.registry.forLab(labId).length + (this.creating.get(labId) ?? 0);
    if (live >= this.config.TERMINAL_MAX_PER_LAB) {
      throw new HttpException(
        `lab ${labId} already has ${live} open terminals, the most allowed: close one (or wait for it to end) and try again`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    this.creating.set(labId, (this.creating.get(labId) ?? 0) + 1);
    let session: LiveTerminal;
    try {
      const record = await this.records.create({ labId, container, actor: describeActor(actor) });
      session = this.newSession({ id: record.id, labId, hostId, scope, container, actor: describeActor(actor) });
      this.registry.add(session);
    } finally {
      const left = (this.creating.get(labId) ?? 1) - 1;
      if (left > 0) this.creating.set(labId, left);
      else this.creating.delete(labId);
    }
    this.logger.log(`terminal ${session.id} created in lab ${labId}, container ${container} (${describeActor(actor)})`);
    return this.withTicket(labId, session, 'pending');
  }

  /** A new single-use url for a live session (after a dropped connection, or from another page). */
  async reconnect(actor: Actor, labId: string, sessionId: string) {
    requireLabAccess(actor, labId);
    const session = this.registry.get(sessionId);
    if (!session || session.info.labId !== labId) throw new NotFoundException(`terminal session ${sessionId} not found or already ended`);
    return this.withTicket(labId, session, session.state);
  }

  /** What the student page shows: containers one may open (and whether they run), and live sessions. */
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
      sessions: this.registry.forLab(labId).map((s) => ({ id: s.id, container: s.info.container, state: s.state, startedAt: s.startedAt })),
    };
  }

  /** Ends a session on request (an instructor, or a page closing a tab without its socket). */
  async end(actor: Actor, labId: string, sessionId: string) {
    requireLabAccess(actor, labId);
    const session = this.registry.get(sessionId);
    if (!session || session.info.labId !== labId) throw new NotFoundException(`terminal session ${sessionId} not found or already ended`);
    session.end('ended-by-request', 'session ended', CloseCode.Normal, 'ended by request');
    return { id: sessionId, state: 'ended' };
  }

  /**
   * Everything the WebSocket upgrade must pass, in order: the client's address under its
   * limit of requests without a valid token (429), a token (401), a session of a lab
   * the token opens (404), the lab still ready (409), the ticket (403, burnt on success).
   */
  async authorizeUpgrade(token: string | undefined, address: string | undefined, sessionId: string, ticket: string | null): Promise<LiveTerminal> {
    const actor = await this.tokens.resolve(token, address);
    if (!actor) throw new UnauthorizedException('a valid token is required (Authorization header, token query or netlabs.token.<token> subprotocol)');
    const session = this.registry.get(sessionId);
    if (!session) throw new NotFoundException(`terminal session ${sessionId} not found or already ended`);
    requireLabAccess(actor, session.info.labId);
    const lab = await this.labs.findById(session.info.labId);
    if (lab?.status !== LabStatus.ready) throw new ConflictException(`lab ${session.info.labId} is ${lab?.status ?? 'gone'}, not ready`);
    if (!session.takeTicket(ticket)) {
      throw new ForbiddenException('this terminal url was already used or has expired: ask for a new one (POST /labs/:id/terminals/:sessionId/reconnect)');
    }
    return session;
  }

  /** Starts the session's shell (first attach only); a failure is an HTTP answer on the upgrade. */
  async startShell(session: LiveTerminal, size: { rows: number; cols: number }): Promise<void> {
    try {
      await session.open(() => this.hosts.get(session.info.hostId).openTerminal(session.info.scope, layerName(session.info.container), size));
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
    const sessions = this.registry.all();
    for (const session of sessions) {
      session.end('api-shutdown', 'session closed: NetLabs is restarting', CloseCode.GoingAway, 'server shutting down');
    }
    const settled = Promise.all([...sessions.map((s) => s.settled()), ...this.writes]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
  }

  private withTicket(labId: string, session: LiveTerminal, state: string) {
    const { ticket, expiresAt } = session.issueTicket();
    return { id: session.id, labId, container: session.info.container, state, url: `/terminals/${session.id}?ticket=${ticket}`, expiresAt };
  }

  private newSession(info: ConstructorParameters<typeof LiveTerminal>[0]): LiveTerminal {
    const limits: LiveTerminalLimits = {
      ...BUFFERS,
      idleMs: this.config.TERMINAL_IDLE_MS,
      graceMs: this.config.TERMINAL_GRACE_MS,
      ticketTtlMs: this.config.TERMINAL_TICKET_TTL_MS,
      stuckMs: this.config.TERMINAL_STUCK_MS,
    };
    const session: LiveTerminal = new LiveTerminal(info, limits, {
      opened: () => void this.records.markOpened(info.id).catch((e: unknown) => this.logger.warn(`record ${info.id}: ${String(e)}`)),
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
    const write = this.records
      .end(session.id, { reason, bytesIn: session.bytesIn, bytesOut: session.bytesOut })
      .catch((error: unknown) => this.logger.error(`could not record the end of terminal ${session.id}: ${String(error)}`))
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

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
