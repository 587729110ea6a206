import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { type LabEvent, LabEvents } from '../../../libs/events/lab-events';
import { CloseCode } from './terminal-protocol';
import { TerminalDirectory } from './terminal-directory';
import { TerminalRegistry } from './terminal.registry';
import { TerminalsService } from './terminals.service';

const NOTICE: Record<Extract<LabEvent, { type: 'token-revoked' }>['why'], string> = {
  revoked: 'session closed: the access token of this lab was revoked by the instructor',
  rotated: 'session closed: the access token of this lab was replaced by a new one; open the lab again with the new link',
};

/**
 * Ends this process's terminals on lab events: a session ended from another API process
 * (`terminal-end`, for its owner), and a student's terminals when their token stops working, in whichever API process
 * holds them (LabEvents reaches every process). The token was checked once, on the
 * upgrade; without this a shell would outlive its token until it idled out.
 * The instructor's sessions on the same lab stay: their token was not touched.
 */
@Injectable()
export class TerminalAccessWatch implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TerminalAccessWatch.name);
  private unsubscribe?: () => void;

  constructor(
    private readonly events: LabEvents,
    private readonly registry: TerminalRegistry,
    private readonly directory: TerminalDirectory,
    private readonly terminals: TerminalsService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe((event) => this.onEvent(event));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  private onEvent(event: LabEvent): void {
    // DELETE of a session on another process: ours to end if we hold its shell.
    if (event.type === 'terminal-end' && event.owner === this.directory.processId) return this.terminals.endOnRequest(event.labId, event.sessionId);
    if (event.type !== 'token-revoked') return;
    const sessions = this.registry.forLab(event.labId).filter((session) => session.info.actor === `student:${event.labId}`);
    if (!sessions.length) return;
    this.logger.log(`token of lab ${event.labId} ${event.why}: ending ${sessions.length} terminal(s)`);
    for (const session of sessions) session.end('token-revoked', NOTICE[event.why], CloseCode.AccessRevoked, `token ${event.why}`);
  }
}
