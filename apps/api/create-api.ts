import type { Server } from 'node:http';
import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type NextFunction, type Request, type Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../libs/config/app-config';
import { AuditRepository } from '../../libs/persistence/audit.repository';
import { ApiModule } from './api.module';
import { trustProxySetting } from './common/client-address';
import { auditTrail } from './common/audit-trail';
import { requestIds } from './common/request-id';
import { HealthService } from './health/health.service';

/**
 * How long the API waits for its dependencies at start-up before giving up: services
 * started together (systemd, compose, a loaded CI machine) may answer a few seconds late.
 */
const STARTUP_WAIT_MS = 20_000;

/** Thrown when a dependency is missing at start-up; its message names it. */
export class StartupError extends Error {}

/** Builds the API application (used by main.ts and the e2e tests). */
export async function createApi(options: { logger?: false | ('log' | 'error' | 'warn' | 'debug')[] } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule, {
    logger: options.logger ?? ['log', 'error', 'warn'],
    bodyParser: false,
  });
  // Nothing says what the server runs on (Express would add X-Powered-By to every answer).
  app.disable('x-powered-by');
  // req.ip (rate limits) and the terminal upgrades' address: X-Forwarded-For only from TRUST_PROXY's proxies.
  app.set('trust proxy', trustProxySetting(app.get<AppConfig>(APP_CONFIG)));
  app.use(requestIds, auditTrail(app.get(AuditRepository)), json({ limit: '256kb' }), jsonBodyErrors);
  keepConnectionsOpen(app.getHttpServer() as Server);
  app.enableShutdownHooks();
  const problem = await dependenciesUp(app.get(HealthService));
  if (problem) {
    await app.close();
    throw new StartupError(`NetLabs API cannot start, a dependency does not answer:\n  ${problem}`);
  }
  return app;
}

export const apiLogger = new Logger('NetLabsApi');

/**
 * Node closes a keep-alive connection after 5 s idle. A browser that sends its next request on
 * that connection just as it closes gets "Failed to fetch", and a POST (a verify) is not sent
 * again: a student typed a long command, clicked Verify and saw an error in a CI run. Idle
 * connections now stay open longer than a student typically spends between two clicks, and
 * longer than the keep-alive of a proxy in front (nginx's upstream keepalive: 60 s). Headers
 * must still arrive within the keep-alive window of a new connection.
 */
function keepConnectionsOpen(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}

/** Null once every dependency answers, or what still does not after STARTUP_WAIT_MS. */
async function dependenciesUp(health: HealthService): Promise<string | null> {
  const deadline = Date.now() + STARTUP_WAIT_MS;
  for (;;) {
    const problem = await health.startupProblem();
    if (!problem || Date.now() >= deadline) return problem;
    apiLogger.warn(`waiting for a dependency:\n  ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** A body that is not JSON (or too large) gets the API's error shape, naming the body. */
function jsonBodyErrors(error: { type?: string; status?: number } | undefined, _req: Request, res: Response, next: NextFunction): void {
  if (!error) return next();
  const tooLarge = error.type === 'entity.too.large';
  const status = tooLarge ? 413 : (error.status ?? 400);
  res.status(status).json({
    statusCode: status,
    error: tooLarge ? 'Payload Too Large' : 'Bad Request',
    message: tooLarge ? 'body: larger than 256 kB' : 'body: not valid JSON',
  });
}
