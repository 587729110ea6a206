import { Module } from '@nestjs/common';
import { LabEvents } from './lab-events';

/** The lab event bus (one publisher and one subscriber connection per process). */
@Module({ providers: [LabEvents], exports: [LabEvents] })
export class EventsModule {}
