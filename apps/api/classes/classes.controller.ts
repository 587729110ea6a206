import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { AdminOnly } from '../common/auth.guard';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { type AddStudentsBody, addStudentsSchema, type CreateClassBody, createClassSchema } from './class.schemas';
import { ClassesService } from './classes.service';

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

  @Get(':id/progress')
  progress(@Param('id', new UuidPipe()) id: string) {
    return this.classes.progress(id);
  }

  /** 201 with each new lab (id, token, url: shown once); 409 when one is already in the class. */
  @Post(':id/students')
  addStudents(@Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(addStudentsSchema)) body: AddStudentsBody) {
    return this.classes.addStudents(id, body.students);
  }

  /** 202: the student's token is revoked and their lab torn down. */
  @Delete(':id/students/:externalId')
  @HttpCode(202)
  removeStudent(@Param('id', new UuidPipe()) id: string, @Param('externalId') externalId: string) {
    return this.classes.removeStudent(id, externalId);
  }

  @Delete(':id')
  @HttpCode(202)
  remove(@Param('id', new UuidPipe()) id: string) {
    return this.classes.remove(id);
  }
}
