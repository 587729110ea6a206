import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type NextFunction, type Request, type Response } from 'express';
import { ApiModule } from './api.module';
import { requestIds } from './common/request-id';
import { HealthService } from './health/health.service';

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
  app.use(requestIds, json({ limit: '256kb' }), jsonBodyErrors);
  app.enableShutdownHooks();
  const problem = await app.get(HealthService).startupProblem();
  if (problem) {
    await app.close();
    throw new StartupError(`NetLabs API cannot start, a dependency does not answer:\n  ${problem}`);
  }
  return app;
}

export const apiLogger = new Logger('NetLabsApi');

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
