import { Inject, Injectable } from '@nestjs/common';
import { pickFreeIndex, SubnetPool } from '../../../libs/allocation/address-pool';
import { bridgeInterfaceName, chatInterfaceName, labValuesFrom, Purpose } from '../../../libs/allocation/lab-resources';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import type { LabValues } from '../../../libs/labs/lab-values';
import { AllocationKind, AllocationRepository } from '../../../libs/persistence/allocation.repository';

/**
 * Claims what a lab needs on its host: two /24 subnets (its default bridge, and the
 * `chat` network the student creates in step 3b), their bridge interface names, and
 * the host port of `mon-serveur`. Claims are idempotent per lab and purpose.
 */
@Injectable()
export class LabAllocatorService {
  private readonly pool: SubnetPool;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly allocations: AllocationRepository,
  ) {
    this.pool = new SubnetPool(config.LAB_SUBNET_POOL);
  }

  async allocate(labId: string, host: string): Promise<LabValues> {
    const hostId = this.config.ALLOCATION_SCOPE === 'shared' ? 'shared' : host;
    const bridgeSubnet = await this.claimSubnet(labId, hostId, Purpose.BridgeSubnet);
    const chatSubnet = await this.claimSubnet(labId, hostId, Purpose.ChatSubnet);
    await Promise.all([
      this.allocations.claimExact(labId, hostId, AllocationKind.bridge, Purpose.BridgeInterface, bridgeInterfaceName(bridgeSubnet)),
      this.allocations.claimExact(labId, hostId, AllocationKind.bridge, Purpose.ChatInterface, chatInterfaceName(chatSubnet)),
      this.claimPort(labId, hostId),
    ]);
    const values = labValuesFrom(await this.allocations.forLab(labId), this.config.LAB_PUBLIC_HOST);
    if (!values) throw new Error(`lab ${labId}: allocations incomplete after claiming them`);
    return values;
  }

  private claimSubnet(labId: string, hostId: string, purpose: string): Promise<string> {
    return this.allocations.claim(labId, hostId, AllocationKind.subnet, purpose, (used) => {
      const index = pickFreeIndex(this.pool.size, new Set([...used].map((s) => this.pool.indexOf(s))));
      return index === null ? null : this.pool.subnet(index);
    });
  }

  private claimPort(labId: string, hostId: string): Promise<string> {
    const min = this.config.LAB_PORT_MIN;
    const size = this.config.LAB_PORT_MAX - min + 1;
    return this.allocations.claim(labId, hostId, AllocationKind.port, Purpose.HttpdPort, (used) => {
      const index = pickFreeIndex(size, new Set([...used].map((p) => Number(p) - min)));
      return index === null ? null : String(min + index);
    });
  }
}
