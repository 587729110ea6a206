import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Actor } from '../common/actor';
import { AdminOnly, CurrentActor, InstructorsToo } from '../common/auth.guard';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { type CreateClassBody, createClassSchema } from './class.schemas';
import { ClassesService } from './classes.service';

@Controller('classes')
@AdminOnly()
export class ClassesController {
  constructor(private readonly classes: ClassesService) {}

  @Post()
  create(@Body(new ZodBodyPipe(createClassSchema)) body: CreateClassBody) {
    return this.classes.create(body);
  }

  @Get()
  list() {
    return this.classes.list();
  }

  @Get(':id')
  @InstructorsToo()
  get(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.classes.get(actor, id);
  }

  @Get(':id/progress')
  @InstructorsToo()
  progress(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string) {
    return this.classes.progress(actor, id);
  }

  @Get(':id/progress.csv')
  @InstructorsToo()
  async progressCsv(@CurrentActor() actor: Actor, @Param('id', new UuidPipe()) id: string, @Res({ passthrough: true }) res: Response) {
    const csv = await this.classes.progressCsv(actor, id);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${csv.fileName}"`);
    res.setHeader('Cache-Control', 'no-store');
    return csv.body;
  }

  @Delete(':id')
  @HttpCode(202)
  remove(@Param('id', new UuidPipe()) id: string) {
    return this.classes.remove(id);
  }
}
