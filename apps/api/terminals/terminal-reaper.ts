import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { scopeOf } from '../../../libs/docker/lab-scope';
import { LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { TerminalSessionRepository } from '../../../libs/persistence/terminal-session.repository';
import type { EndReason } from './live-terminal';
import { type DeadSession, TerminalDirectory } from './terminal-directory';
import { layerName } from './terminal.schemas';

/**
 * How long a dead session taken by one process is left to it: past this (it died too, or the
 * engine did not answer), another process takes it again. Longer than a kill may take
 * (docker-exec.ts: up to four attempts, the last ones from a helper container).
 */
const HOLD_MS = 120_000;
/** At shutdown, a sweep under way is given this long to finish. */
const SHUTDOWN_WAIT_MS = 3_000;
/** Labs whose containers may still run a shell. */
const RUNNING: readonly LabStatus[] = [LabStatus.ready, LabStatus.provisioning];

/**
 * Ends the terminal sessions nobody holds any more, for every API process of the
 * deployment: the shells of a process that died (its lease in Redis ran out) are killed in
 * their containers (docker-exec.ts: every process carrying the session's tag) and their
 * records end with `owner-lost`; a session whose creator died before anyone opened it ends
 * with `never-opened`. Every API process sweeps every TERMINAL_LEASE_MS / 3, and at once
 * for a session it finds with its owner gone (a reconnect, an upgrade, an end); each dead
 * session is taken by one process only, in one Redis script (TerminalDirectory.takeDead).
 */
@Injectable()
export class TerminalReaper implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TerminalReaper.name);
  private timer?: NodeJS.Timeout;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly directory: TerminalDirectory,
    private readonly records: TerminalSessionRepository,
    private readonly labs: LabRepository,
    private readonly hosts: DockerHostPool,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.reapNow(), Math.max(300, Math.floor(this.config.TERMINAL_LEASE_MS / 3)));
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([Promise.all(this.running), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
  }

  /** In the background: ends `id` if nobody holds it any more, else every dead session of the deployment. */
  reapNow(id?: string): void {
    const sweep = this.sweep(id ? [id] : []).catch((error: unknown) => this.logger.warn(`terminal sweep: ${String(error)}`));
    this.running.add(sweep);
    void sweep.finally(() => this.running.delete(sweep));
  }

  /** Ends what it takes; returns how many (exported for tests). */
  async sweep(ids: string[] = []): Promise<number> {
    const taken = await this.directory.takeDead(HOLD_MS, ids);
    for (const dead of taken) {
      try {
        await this.end(dead);
        await this.directory.reaped(dead.id);
      } catch (error) {
        this.logger.warn(`terminal ${dead.id} (${dead.kind}): not ended yet, tried again in ${HOLD_MS / 1000} s: ${String(error)}`);
      }
    }
    return taken.length;
  }

  private async end(dead: DeadSession): Promise<void> {
    const record = dead.labId && dead.container ? null : await this.records.findById(dead.id);
    const labId = dead.labId ?? record?.labId;
    const container = dead.container ?? record?.container;
    // `gone`: its record in Redis expired too (no API process swept meanwhile); the database says whether it was opened.
    const opened = dead.kind === 'dead' || (dead.kind === 'gone' && !!record?.openedAt);
    const reason: EndReason = opened ? 'owner-lost' : 'never-opened';
    let killed = 0;
    if (opened && labId && container) killed = await this.killShell(dead.id, labId, container);
    await this.records.end(dead.id, { reason, bytesIn: 0, bytesOut: 0 });
    this.logger.log(`terminal ${dead.id} ended: ${reason} (nobody held it${opened ? `; ${killed} process(es) of its shell killed` : ''})`);
  }

  /** Its shell and what it started, in the lab's container: an engine that does not answer throws (taken again later). */
  private async killShell(id: string, labId: string, container: string): Promise<number> {
    const lab = await this.labs.findById(labId);
    if (!lab?.hostId || !RUNNING.includes(lab.status)) return 0;
    return this.hosts.get(lab.hostId).killTerminal(scopeOf(lab, this.config), layerName(container), id);
  }
}
