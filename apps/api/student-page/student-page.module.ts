import { Module } from '@nestjs/common';
import { StudentPageController } from './student-page.controller';

/** The student page: static HTML/CSS/JS talking to the REST API and the terminal WebSocket. */
@Module({ controllers: [StudentPageController] })
export class StudentPageModule {}
