import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiDoc } from '../docs/api-doc';
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

  @ApiDoc({ summary: 'A lab: status, steps with their status and attempts, instructions with its own values, links', query: { lang: langSchema }, responses: { 200: 'The lab', 404: 'No such lab (or not yours)' } })
  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Query('lang') lang?: string) {
    return this.labs.get(actor, id, langSchema.parse(lang));
  }

  @ApiDoc({ summary: 'Tear a lab down', responses: { 202: 'Teardown queued', 404: 'No such lab' } })
  @Delete(':id')
  @HttpCode(202)
  remove(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.labs.remove(actor, id);
  }

  @ApiDoc({ summary: "Run a step's reference solution (students: as the class's runPolicy allows)", query: { lang: langSchema }, responses: { 200: '{step, output}', 202: 'Slower than STEP_WAIT_MS: {jobId, resultUrl}', 403: 'Not allowed by the runPolicy', 404: 'No such lab or step', 409: 'Lab not ready', 429: 'Too many step jobs for this lab' } })
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

  @ApiDoc({ summary: "Verify a step against the lab's live state (question steps take `answer`)", query: { lang: langSchema }, responses: { 200: '{step, passed, checks:[{name, passed, message}]}', 202: 'Slower than STEP_WAIT_MS: {jobId, resultUrl}', 404: 'No such lab or step', 409: 'Lab not ready', 429: 'Too many step jobs for this lab' } })
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

  @ApiDoc({ summary: 'A fresh lab, progress kept; replay runs the passed steps again', responses: { 202: 'Reset queued', 409: 'The lab expired or its class was deleted (says which)' } })
  @Post(':id/reset')
  @HttpCode(202)
  reset(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(resetLabSchema)) body: ResetLabBody) {
    return this.labs.reset(actor, id, body.replay, body.clearProgress);
  }

  @ApiDoc({ summary: "Move a lab's expiry later (an expired lab too)", responses: { 201: 'The new expiry', 404: 'No such lab' } })
  @Post(':id/extend')
  @AdminOnly()
  @InstructorsToo()
  extend(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(extendSchema)) body: ExtendBody) {
    return this.labs.extend(actor, id, body.minutes);
  }

  @ApiDoc({ summary: "Rotate a student's token: the new token and page url, shown once", responses: { 201: '{token, url}', 404: 'No such lab' } })
  @Post(':id/token')
  @AdminOnly()
  @InstructorsToo()
  rotateToken(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.labs.rotateToken(actor, id);
  }

  @ApiDoc({ summary: "Revoke a student's token (their terminals close)", responses: { 200: 'Revoked', 404: 'No such lab' } })
  @Delete(':id/token')
  @AdminOnly()
  revokeToken(@Param('id', new UuidPipe()) id: string) {
    return this.labs.revokeToken(id);
  }

  @ApiDoc({ summary: 'Result of a run or verify that answered 202', query: { lang: langSchema }, responses: { 200: 'The job state and, once finished, its result', 404: 'No such job for this lab' } })
  @Get(':id/jobs/:jobId')
  job(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Param('jobId') jobId: string, @Query('lang') lang?: string) {
    return this.labs.jobResult(actor, id, jobId, langSchema.parse(lang));
  }
}

/** Unknown-looking step ids become 404 in the service, like any unknown step. */
function normaliseStep(step: string): string {
  return STEP_ID.test(step.toLowerCase()) ? step.toLowerCase() : '__unknown__';
}
