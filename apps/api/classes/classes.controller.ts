import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res, Sse, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { Actor } from '../common/actor';
import { AdminOnly, CurrentActor, InstructorsToo } from '../common/auth.guard';
import { ApiDoc } from '../docs/api-doc';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { type AddStudentsBody, addStudentsSchema, type CreateClassBody, createClassSchema } from './class.schemas';
import { ClassesService } from './classes.service';
import { KnownClassGuard } from './known-class.guard';

@Controller('classes')
@AdminOnly()
export class ClassesController {
  constructor(private readonly classes: ClassesService) {}

  @ApiDoc({ summary: 'Create a class: one lab per student, provisioned in the background', responses: { 201: 'The class; per lab its id, status, student token and page url (each token shown once)' } })
  @Post()
  create(@Body(new ZodBodyPipe(createClassSchema)) body: CreateClassBody) {
    return this.classes.create(body);
  }

  @ApiDoc({ summary: 'Every live class, with its labs counted by status', responses: { 200: 'The classes' } })
  @Get()
  list() {
    return this.classes.list();
  }

  /** Students arriving in a live class: a warm lab each while the pool has some (StudentLabsService). */
  @ApiDoc({ summary: 'Add students to a live class: a lab each (warm ones first), tokens and links shown once', responses: { 201: 'The new labs', 404: 'No such class', 409: 'A student already in the class' } })
  @Post(':id/students')
  addStudents(@Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(addStudentsSchema)) body: AddStudentsBody) {
    return this.classes.addStudents(id, body);
  }

  @ApiDoc({ summary: 'A class and its labs (status of each)', responses: { 200: 'The class', 404: 'No such class' } })
  @Get(':id')
  @InstructorsToo()
  get(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.classes.get(actor, id);
  }

  /** text/event-stream: each lab as it becomes ready or failed, then `settled` when none is provisioning. */
  @ApiDoc({ summary: "The class's provisioning as server-sent events: each lab as it becomes ready or failed, then `settled` with the counts", responses: { 200: { description: 'Events', contentType: 'text/event-stream' }, 404: 'No such class' } })
  @Sse(':id/events')
  @UseGuards(KnownClassGuard)
  events(@Param('id', new UuidPipe()) id: string) {
    return this.classes.progressEvents(id);
  }

  @ApiDoc({ summary: 'Progress grid: per student, each step passed / failed / pending, how it was passed, score', responses: { 200: 'The grid', 404: 'No such class' } })
  @Get(':id/progress')
  @InstructorsToo()
  progress(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.classes.progress(actor, id);
  }

  @ApiDoc({ summary: 'The progress grid as CSV (one row per student; per step its state and attempts)', responses: { 200: { description: 'CSV', contentType: 'text/csv' }, 404: 'No such class' } })
  @Get(':id/progress.csv')
  @InstructorsToo()
  async progressCsv(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Res({ passthrough: true }) res: Response) {
    const csv = await this.classes.progressCsv(actor, id);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${csv.fileName}"`);
    res.setHeader('Cache-Control', 'no-store');
    return csv.body;
  }

  @ApiDoc({ summary: "Remove a student from a live class: their token is revoked and their lab torn down (their progress stays)", responses: { 202: '{classId, externalId, labId, status}', 404: 'No such class or student' } })
  @Delete(':id/students/:externalId')
  @HttpCode(202)
  removeStudent(@Param('id', new UuidPipe()) id: string, @Param('externalId') externalId: string) {
    return this.classes.removeStudent(id, externalId);
  }

  @ApiDoc({ summary: 'Delete a class: every lab is torn down (idempotent: the first deletedAt)', responses: { 202: '{deletedAt, labs}', 404: 'No such class' } })
  @Delete(':id')
  @HttpCode(202)
  remove(@Param('id', new UuidPipe()) id: string) {
    return this.classes.remove(id);
  }
}
