import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ApiModule } from './api.module';
import { HealthService } from './health/health.service';

/** Thrown when a dependency is missing at start-up; its message names it. */
export class StartupError extends Error {}

/** Builds the API application (used by main.ts and the e2e tests). */
export async function createApi(options: { logger?: false | ('log' | 'error' | 'warn' | 'debug')[] } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule, {
    logger: options.logger ?? ['log', 'error', 'warn'],
    bodyParser: true,
  });
  app.useBodyParser('json', { limit: '256kb' });
  app.enableShutdownHooks();
  const problem = await app.get(HealthService).startupProblem();
  if (problem) {
    await app.close();
    throw new StartupError(`NetLabs API cannot start, a dependency does not answer:\n  ${problem}`);
  }
  return app;
}

export const apiLogger = new Logger('NetLabsApi');
