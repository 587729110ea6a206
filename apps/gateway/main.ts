import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '../../libs/config/app-config';

/**
 * NetLabs' lab daemon on a Docker host (infra/engine-host.sh): node dist/apps/gateway/main.js.
 * It needs DATABASE_URL, DOCKER_HOSTS (this machine's engine, under the id the central
 * deployment gives it), GATEWAY_SOCKET, the LAB_* settings of the deployment, and the secret of
 * lab credentials: GATEWAY_SECRET, or the ADMIN_TOKEN it is derived from. Given GATEWAY_SECRET,
 * the admin token need not be on this machine: a random one stands in (nothing here uses it).
 */
async function main(): Promise<void> {
  if (!process.env.ADMIN_TOKEN && process.env.GATEWAY_SECRET) process.env.ADMIN_TOKEN = randomBytes(24).toString('hex');
  const config = loadConfig();
  const { GatewayAppModule } = await import('./gateway-app.module');
  const app = await NestFactory.createApplicationContext(GatewayAppModule, { logger: ['log', 'error', 'warn'] });
  app.enableShutdownHooks();
  new Logger('NetLabsGateway').log(`lab daemon serving ${config.GATEWAY_SOCKET} for Docker host(s) ${config.DOCKER_HOSTS.map((h) => h.id).join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `NetLabs lab daemon failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
