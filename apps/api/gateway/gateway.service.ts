import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { labValuesFrom } from '../../../libs/allocation/lab-resources';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { scopeOf } from '../../../libs/docker/lab-scope';
import { gatewaySecret } from '../../../libs/gateway/credentials';
import type { GatewayLab, GatewayLabs } from '../../../libs/gateway/gateway-lab';
import { gatewaySettings } from '../../../libs/gateway/gateway-settings';
import { GatewayServer } from '../../../libs/gateway/http/gateway-server';
import { LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';

/** Serves the lab daemon (libs/gateway) on GATEWAY_SOCKET for as long as the API runs. */
@Injectable()
export class GatewayService implements GatewayLabs, OnApplicationBootstrap, OnApplicationShutdown {
  private server?: GatewayServer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly hosts: DockerHostPool,
  ) {}

  async findReady(labId: string): Promise<GatewayLab | null> {
    const lab = await this.labs.findForGateway(labId);
    // A warm lab's daemon answers nothing until a student claims the lab: nobody can change it before.
    if (!lab || lab.status !== LabStatus.ready || !lab.hostId || lab.classId === null) return null;
    const values = labValuesFrom(lab.allocations, this.config.LAB_PUBLIC_HOST);
    if (!values) return null;
    return { labId: lab.id, hostId: lab.hostId, scope: scopeOf(lab, this.config), values };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.server = new GatewayServer(
      { socketPath: this.config.GATEWAY_SOCKET, secret: gatewaySecret(this.config), settings: gatewaySettings(this.config) },
      this,
      this.hosts,
    );
    await this.server.listen();
  }

  /** Open connections to the lab daemon of this API process (metrics). */
  async connections(): Promise<number> {
    return (await this.server?.connections()) ?? 0;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
