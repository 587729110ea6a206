import { Body, Controller, Delete, Get, HttpCode, Param, Post, Sse, UseGuards } from '@nestjs/common';
import { AdminOnly } from '../common/auth.guard';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { type CreateClassBody, createClassSchema } from './class.schemas';
import { ClassesService } from './classes.service';
import { KnownClassGuard } from './known-class.guard';

@Controller('classes')
@AdminOnly()
export class ClassesController {
  constructor(private readonly classes: ClassesService) {}

  @Post()
  create(@Body(new ZodBodyPipe(createClassSchema)) body: CreateClassBody) {
    return this.classes.create(body);
  }

  @Get(':id')
  get(@Param('id', new UuidPipe()) id: string) {
    return this.classes.get(id);
  }

  /** text/event-stream: each lab as it becomes ready or failed, then `settled` when none is provisioning. */
  @Sse(':id/events')
  @UseGuards(KnownClassGuard)
  events(@Param('id', new UuidPipe()) id: string) {
    return this.classes.progressEvents(id);
  }

  @Get(':id/progress')
  progress(@Param('id', new UuidPipe()) id: string) {
    return this.classes.progress(id);
  }

  @Delete(':id')
  @HttpCode(202)
  remove(@Param('id', new UuidPipe()) id: string) {
    return this.classes.remove(id);
  }
}
