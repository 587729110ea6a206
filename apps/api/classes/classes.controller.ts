import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiDoc } from '../docs/api-doc';
import { AdminOnly } from '../common/auth.guard';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { type CreateClassBody, createClassSchema } from './class.schemas';
import { ClassesService } from './classes.service';

@Controller('classes')
@AdminOnly()
export class ClassesController {
  constructor(private readonly classes: ClassesService) {}

  @ApiDoc({ summary: 'Create a class: one lab per student, provisioned in the background', responses: { 201: 'The class; per lab its id, status, student token and page url (each token shown once)' } })
  @Post()
  create(@Body(new ZodBodyPipe(createClassSchema)) body: CreateClassBody) {
    return this.classes.create(body);
  }

  @ApiDoc({ summary: 'A class and its labs (status of each)', responses: { 200: 'The class', 404: 'No such class' } })
  @Get(':id')
  get(@Param('id', new UuidPipe()) id: string) {
    return this.classes.get(id);
  }

  @ApiDoc({ summary: 'Progress grid: per student, each step passed / failed / pending, how it was passed, score', responses: { 200: 'The grid', 404: 'No such class' } })
  @Get(':id/progress')
  progress(@Param('id', new UuidPipe()) id: string) {
    return this.classes.progress(id);
  }

  @ApiDoc({ summary: 'Delete a class: every lab is torn down (idempotent: the first deletedAt)', responses: { 202: '{deletedAt, labs}', 404: 'No such class' } })
  @Delete(':id')
  @HttpCode(202)
  remove(@Param('id', new UuidPipe()) id: string) {
    return this.classes.remove(id);
  }
}
