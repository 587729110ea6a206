import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Metrics } from '../../../libs/metrics/metrics';
import { MaintenanceProcessor } from '../maintenance/maintenance.processor';
import { LabsProcessor } from '../provisioning/labs.processor';
import { StepsProcessor } from '../steps/steps.processor';
import { recordJob } from './job-metrics';

/**
 * Listens to this worker's BullMQ workers (no change to the processors): each finished or
 * failed attempt goes through recordJob. BullMQ emits `completed` after the result is stored.
 */
@Injectable()
export class JobMetricsService implements OnApplicationBootstrap {
  constructor(
    private readonly metrics: Metrics,
    private readonly labs: LabsProcessor,
    private readonly steps: StepsProcessor,
    private readonly maintenance: MaintenanceProcessor,
  ) {}

  onApplicationBootstrap(): void {
    for (const processor of [this.labs, this.steps, this.maintenance]) {
      const worker = processor.worker;
      worker.on('completed', (job, result) => recordJob(this.metrics, worker.name, job, { failed: false, result }));
      worker.on('failed', (job) => {
        if (job) recordJob(this.metrics, worker.name, job, { failed: true });
      });
    }
  }
}
