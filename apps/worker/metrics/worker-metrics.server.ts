import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import http from 'node:http';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { Metrics } from '../../../libs/metrics/metrics';
import { isAdminBearer } from '../../../libs/metrics/metrics-auth';

/**
 * The worker's own GET /metrics on WORKER_METRICS_PORT (off when unset), behind the admin
 * token as the API's. The worker has no other HTTP: this is Prometheus' usual way for a
 * process whose events (job durations, outcomes) happen nowhere else.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: http.Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.WORKER_METRICS_PORT;
    if (!port) return;
    const server = http.createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.WORKER_METRICS_HOST, () => resolve());
    });
    this.server = server;
    this.logger.log(`worker metrics on http://${this.config.WORKER_METRICS_HOST}:${port}/metrics (admin token)`);
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, type: string, body: string): void => void res.writeHead(status, { 'content-type': type }).end(body);
    const error = (status: number, message: string): void => send(status, 'application/json', JSON.stringify({ statusCode: status, error: http.STATUS_CODES[status], message }));
    if (new URL(req.url ?? '/', 'http://worker').pathname !== '/metrics') return error(404, 'only /metrics here');
    if (req.method !== 'GET') return error(405, 'GET only');
    if (!isAdminBearer(req.headers.authorization, this.config.ADMIN_TOKEN)) return error(401, 'the admin bearer token is required');
    try {
      const { contentType, body } = await this.metrics.text();
      send(200, contentType, body);
    } catch (failure) {
      this.logger.error(`metrics: ${String(failure)}`);
      error(500, 'metrics could not be collected');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
