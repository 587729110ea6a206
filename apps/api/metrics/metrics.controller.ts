import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Metrics } from '../../../libs/metrics/metrics';
import { AdminOnly } from '../common/auth.guard';
import { ApiDoc } from '../docs/api-doc';

@Controller('metrics')
@AdminOnly()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @ApiDoc({
    summary: "Prometheus metrics of this API process (the worker's: WORKER_METRICS_PORT)",
    tag: 'operations',
    responses: { 200: { description: 'Prometheus text format 0.0.4', contentType: 'text/plain' } },
  })
  async get(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.text();
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(body);
  }
}
