import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Actor } from '../common/actor';
import { AdminOnly, CurrentActor, InstructorsToo } from '../common/auth.guard';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { type ExtendBody, extendSchema, langSchema, type ResetLabBody, resetLabSchema, runStepSchema, type VerifyStepBody, verifyStepSchema } from './lab.schemas';
import { LabsService } from './labs.service';

const STEP_ID = /^[0-9a-z]{1,8}$/;

@Controller('labs')
export class LabsController {
  constructor(private readonly labs: LabsService) {}

  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Query('lang') lang?: string) {
    return this.labs.get(actor, id, langSchema.parse(lang));
  }

  @Delete(':id')
  @HttpCode(202)
  remove(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.labs.remove(actor, id);
  }

  @Post(':id/steps/:step/run')
  async run(
    @CurrentActor() actor: Actor,
    @Param('id', new UuidPipe()) id: string,
    @Param('step') step: string,
    @Body(new ZodBodyPipe(runStepSchema)) _body: unknown,
    @Res({ passthrough: true }) res: Response,
    @Query('lang') lang?: string,
  ) {
    const { status, body } = await this.labs.runStep(actor, id, normaliseStep(step), langSchema.parse(lang));
    res.status(status);
    return body;
  }

  @Post(':id/steps/:step/verify')
  async verify(
    @CurrentActor() actor: Actor,
    @Param('id', new UuidPipe()) id: string,
    @Param('step') step: string,
    @Body(new ZodBodyPipe(verifyStepSchema)) body: VerifyStepBody,
    @Res({ passthrough: true }) res: Response,
    @Query('lang') lang?: string,
  ) {
    const result = await this.labs.verifyStep(actor, id, normaliseStep(step), body.answer, langSchema.parse(lang));
    res.status(result.status);
    return result.body;
  }

  @Post(':id/reset')
  @HttpCode(202)
  reset(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(resetLabSchema)) body: ResetLabBody) {
    return this.labs.reset(actor, id, body.replay, body.clearProgress);
  }

  @Post(':id/extend')
  @AdminOnly()
  @InstructorsToo()
  extend(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(extendSchema)) body: ExtendBody) {
    return this.labs.extend(actor, id, body.minutes);
  }

  @Post(':id/token')
  @AdminOnly()
  @InstructorsToo()
  rotateToken(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.labs.rotateToken(actor, id);
  }

  @Delete(':id/token')
  @AdminOnly()
  revokeToken(@Param('id', new UuidPipe()) id: string) {
    return this.labs.revokeToken(id);
  }

  @Get(':id/jobs/:jobId')
  job(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Param('jobId') jobId: string, @Query('lang') lang?: string) {
    return this.labs.jobResult(actor, id, jobId, langSchema.parse(lang));
  }
}

/** Unknown-looking step ids become 404 in the service, like any unknown step. */
function normaliseStep(step: string): string {
  return STEP_ID.test(step.toLowerCase()) ? step.toLowerCase() : '__unknown__';
}
