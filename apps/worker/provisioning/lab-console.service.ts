import { basename, dirname } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { intToIp, ipToInt } from '../../../libs/allocation/address-pool';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { CONSOLE_GATEWAY_DIR, type ConsoleSpec, type ContainerInfo, type LabScope, type NetworkInfo } from '../../../libs/docker/tenant-docker';
import { gatewaySecret, labCredential } from '../../../libs/gateway/credentials';
import type { LabValues } from '../../../libs/labs/lab-values';

type ConsoleConfig = Pick<AppConfig, 'LAB_IMAGE_CONSOLE' | 'GATEWAY_SOCKET' | 'GATEWAY_SECRET' | 'ADMIN_TOKEN'>;

/** The last host address of a subnet (x.y.z.254 in a /24). */
function lastHost(subnet: string): string {
  const [base, bits] = subnet.split('/');
  return intToIp(ipToInt(base) + 2 ** (32 - Number(bits)) - 2);
}

/**
 * What a lab's console is made of: the console image, the gateway socket's directory,
 * DOCKER_HOST naming the socket inside the console, the lab's credential (the docker
 * CLI sends it on every request; the gateway derives the lab from it), and the lab's
 * published port, which the console serves on its own loopback (infra/images/console).
 */
export function consoleSpec(config: ConsoleConfig, labId: string, values: LabValues): ConsoleSpec {
  const publicHostIsName = !/^\d{1,3}(\.\d{1,3}){3}$/.test(values.publicHost) && values.publicHost !== 'localhost';
  return {
    image: config.LAB_IMAGE_CONSOLE,
    gatewayDir: dirname(config.GATEWAY_SOCKET),
    env: {
      DOCKER_HOST: `unix://${CONSOLE_GATEWAY_DIR}/${basename(config.GATEWAY_SOCKET)}`,
      NETLABS_LAB_CREDENTIAL: labCredential(gatewaySecret(config), labId),
      NETLABS_PUBLISHED_PORTS: String(values.httpdPort),
    },
    ipv4: lastHost(values.bridgeSubnet),
    ...(publicHostIsName ? { loopbackHosts: [values.publicHost] } : {}),
  };
}

/** Creates a lab's console, or gives back the one already running (provisioning, reset, reconciler). */
@Injectable()
export class LabConsoleService {
  private readonly logger = new Logger(LabConsoleService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hosts: DockerHostPool,
  ) {}

  /** `bridge`: the lab's default network when the caller has just created it (saves looking it up). */
  async ensure(hostId: string, scope: LabScope, values: LabValues, bridge?: NetworkInfo): Promise<ContainerInfo> {
    const info = await this.hosts.get(hostId).runConsole(scope, consoleSpec(this.config, scope.labId, values), bridge);
    this.logger.debug(`lab ${scope.labId}: console ${info.id.slice(0, 12)} running`);
    return info;
  }
}
