import { Module } from '@nestjs/common';
import { LabCatalogue } from './lab-catalogue';
import { LabRunner } from './lab-runner';

/** The lab catalogue (validated at start-up: a bad definition stops the process) and the runner. */
@Module({
  providers: [
    { provide: LabCatalogue, useFactory: () => new LabCatalogue() },
    { provide: LabRunner, useFactory: () => new LabRunner() },
  ],
  exports: [LabCatalogue, LabRunner],
})
export class LabsModule {}
