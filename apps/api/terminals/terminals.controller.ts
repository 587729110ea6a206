import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
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

  @Post()
  create(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(openTerminalSchema)) body: OpenTerminalBody) {
    return this.terminals.create(actor, id, body.container);
  }

  @Get()
  overview(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.terminals.overview(actor, id);
  }

  @Post(':sessionId/reconnect')
  reconnect(
    @CurrentActor() actor: Actor,
    @Param('id', new UuidPipe()) id: string,
    @Param('sessionId', new UuidPipe('sessionId')) sessionId: string,
    @Body(new ZodBodyPipe(reconnectTerminalSchema)) _body: unknown,
  ) {
    return this.terminals.reconnect(actor, id, sessionId);
  }

  @Delete(':sessionId')
  @HttpCode(200)
  end(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Param('sessionId', new UuidPipe('sessionId')) sessionId: string) {
    return this.terminals.end(actor, id, sessionId);
  }
}
