import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DockerHostPool, dockerodeFactory } from './docker-host-pool';

/** Provides the pool of Docker hosts from DOCKER_HOSTS and the lab limits. */
@Global()
@Module({
  providers: [
    {
      provide: DockerHostPool,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new DockerHostPool(config.DOCKER_HOSTS, {
          memoryMb: config.LAB_MEMORY_MB,
          cpus: config.LAB_CPUS,
          pids: config.LAB_PIDS,
          maxContainers: config.LAB_MAX_CONTAINERS,
          diskMb: config.LAB_DISK_MB,
          logMb: config.LAB_LOG_MB,
          publishAddress: config.LAB_PUBLISH_ADDRESS,
        }, dockerodeFactory({ pull: config.LAB_IMAGE_PULL })),
    },
  ],
  exports: [DockerHostPool],
})
export class DockerModule {}
