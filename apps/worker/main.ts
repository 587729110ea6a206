import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '../../libs/config/app-config';

async function main(): Promise<void> {
  loadConfig();
  // Imported only once the configuration is known good: its processors read it while being
  // decorated, and an invalid one must stop start-up with its message, not a stack trace.
  const { WorkerModule } = await import('./worker.module');
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['log', 'error', 'warn'] });
  app.enableShutdownHooks();
  new Logger('NetLabsWorker').log('NetLabs worker started');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `NetLabs worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
