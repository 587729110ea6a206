import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiDoc } from '../docs/api-doc';
import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/auth.guard';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { type OpenTerminalBody, openTerminalSchema, reconnectTerminalSchema } from './terminal.schemas';
import { TerminalsService } from './terminals.service';

/** Terminal sessions of a lab; the sessions themselves run over WebSocket (terminal.gateway.ts). */
@Controller('labs/:id/terminals')
export class TerminalsController {
  constructor(private readonly terminals: TerminalsService) {}

  @ApiDoc({ summary: "Open a terminal on the lab's console (default) or a TP container: a one-time WebSocket url", tag: 'terminals', responses: { 201: '{id, url}: open the url as a WebSocket (GET /terminals/{sessionId})', 404: 'No such lab', 409: 'Lab not ready or container not running', 429: 'TERMINAL_MAX_PER_LAB reached' } })
  @Post()
  create(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(openTerminalSchema)) body: OpenTerminalBody) {
    return this.terminals.create(actor, id, body.container);
  }

  @ApiDoc({ summary: "The lab's terminal sessions", tag: 'terminals' })
  @Get()
  overview(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.terminals.overview(actor, id);
  }

  @ApiDoc({
    summary: 'A new url for a detached session (its shell kept TERMINAL_GRACE_MS), from any API process',
    tag: 'terminals',
    responses: { 201: '{id, url}', 404: 'No such session', 410: 'The API process that ran its shell stopped: open a new terminal' },
  })
  @Post(':sessionId/reconnect')
  reconnect(
    @CurrentActor() actor: Actor,
    @Param('id', new UuidPipe()) id: string,
    @Param('sessionId', new UuidPipe('sessionId')) sessionId: string,
    @Body(new ZodBodyPipe(reconnectTerminalSchema)) _body: unknown,
  ) {
    return this.terminals.reconnect(actor, id, sessionId);
  }

  @ApiDoc({
    summary: 'End a terminal session (its processes are killed)',
    tag: 'terminals',
    responses: { 200: '{state: ended}, or {state: ending} when another API process holds its shell (it is told to end it)', 404: 'No such session' },
  })
  @Delete(':sessionId')
  @HttpCode(200)
  end(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Param('sessionId', new UuidPipe('sessionId')) sessionId: string) {
    return this.terminals.end(actor, id, sessionId);
  }
}
