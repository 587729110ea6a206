import type { AppConfig } from '../config/app-config';
import type { GatewaySettings } from './gateway-lab';

/** The gateway's settings from the configuration. */
export function gatewaySettings(config: AppConfig): GatewaySettings {
  return {
    sharedImages: { httpd: config.LAB_IMAGE_HTTPD, ubuntu: config.LAB_IMAGE_UBUNTU },
    limits: {
      memoryMb: config.LAB_MEMORY_MB,
      cpus: config.LAB_CPUS,
      pids: config.LAB_PIDS,
      maxContainers: config.LAB_MAX_CONTAINERS,
      logMb: config.LAB_LOG_MB,
      diskMb: config.LAB_DISK_MB,
      publishAddress: config.LAB_PUBLISH_ADDRESS,
    },
    maxImages: config.LAB_MAX_IMAGES,
    publishAddress: config.LAB_PUBLISH_ADDRESS,
  };
}
