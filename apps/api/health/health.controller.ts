import { Controller, Get, Res } from '@nestjs/common';
import { ApiDoc } from '../docs/api-doc';
import type { Response } from 'express';
import { Public } from '../common/auth.guard';
import { HealthService } from './health.service';

@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** 200 when everything answers, 503 otherwise; the body says which part is down. */
  @ApiDoc({ summary: 'Health of the database, Redis and the Docker hosts', responses: { 200: 'Everything answers', 503: 'The body says which part is down' } })
  @Get()
  @Public()
  async get(@Res({ passthrough: true }) res: Response) {
    const report = await this.health.report();
    res.status(report.status === 'ok' ? 200 : 503);
    return report;
  }
}
