import { Module } from '@nestjs/common';
import { ConfigModule } from '../../libs/config/config.module';
import { DockerModule } from '../../libs/docker/docker.module';
import { GatewayModule } from '../api/gateway/gateway.module';

/**
 * The lab daemon alone (libs/gateway), for a process beside a Docker engine on another
 * machine than the API: it serves GATEWAY_SOCKET for the consoles of that machine's labs and
 * nothing else (no HTTP port, no queue, no Redis). It reads labs from the database and talks
 * to the engines of its own DOCKER_HOSTS.
 */
@Module({ imports: [ConfigModule, DockerModule, GatewayModule] })
export class GatewayAppModule {}
