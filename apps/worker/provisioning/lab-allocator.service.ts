import { Inject, Injectable } from '@nestjs/common';
import { SubnetPool } from '../../../libs/allocation/address-pool';
import { labValuesFrom } from '../../../libs/allocation/lab-resources';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import type { LabValues } from '../../../libs/labs/lab-values';
import { AllocationRepository, randomStarts } from '../../../libs/persistence/allocation.repository';

/**
 * Claims what a lab needs on its host: two /24 subnets (its default bridge, and the
 * `chat` network the student creates in step 3b), their bridge interface names, and
 * the host port of `mon-serveur`. One SQL statement per lab (AllocationRepository.claimLab);
 * idempotent per lab and purpose.
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
    const hostId = this.domainOf(host);
    const ranges = {
      subnetBase: this.pool.subnet(0).split('/')[0],
      subnetCount: this.pool.size,
      portMin: this.config.LAB_PORT_MIN,
      portMax: this.config.LAB_PORT_MAX,
    };
    const rows = await this.allocations.claimLab({ labId, hostId, ...ranges, ...randomStarts(ranges) });
    const values = labValuesFrom(rows, this.config.LAB_PUBLIC_HOST);
    if (!values) throw new Error(`lab ${labId}: allocations incomplete after claiming them`);
    return values;
  }

  /**
   * The engine refused the lab's bridge subnet for something NetLabs does not allocate:
   * every lab skips that subnet for a while, and this lab's values are released (the next
   * allocate gives it new ones).
   */
  async recordClash(labId: string, host: string, subnet: string, reason: string): Promise<void> {
    await this.allocations.blockSubnet(this.domainOf(host), subnet, reason);
    await this.allocations.releaseLab(labId);
  }

  private domainOf(host: string): string {
    return this.config.ALLOCATION_SCOPE === 'shared' ? 'shared' : host;
  }
}
