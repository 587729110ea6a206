import { Inject, Injectable } from '@nestjs/common';
import { labValuesFrom } from '../../../libs/allocation/lab-resources';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import type { LabContext } from '../../../libs/labs/lab-runner';
import { LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { PermanentJobError } from '../../../libs/queue/jobs';
import { scopeOf } from '../../../libs/docker/lab-scope';

/** Everything a step needs to act on one ready lab: its scope, host, values and images. */
@Injectable()
export class LabContextFactory {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly hosts: DockerHostPool,
  ) {}

  async forReadyLab(labId: string): Promise<{ context: LabContext; labDefinitionId: string }> {
    const lab = await this.labs.findWithProgress(labId);
    if (!lab) throw new PermanentJobError(`lab ${labId} not found`);
    if (lab.status !== LabStatus.ready || !lab.hostId) throw new PermanentJobError(`lab ${labId} is ${lab.status}, not ready`);
    const values = labValuesFrom(lab.allocations, this.config.LAB_PUBLIC_HOST);
    if (!values) throw new PermanentJobError(`lab ${labId} has no allocations`);
    return {
      labDefinitionId: lab.labDefinitionId,
      context: {
        scope: scopeOf(lab, this.config),
        docker: this.hosts.get(lab.hostId),
        values,
        images: { httpd: this.config.LAB_IMAGE_HTTPD, ubuntu: this.config.LAB_IMAGE_UBUNTU },
      },
    };
  }
}
