import { Inject, Injectable, Logger } from '@nestjs/common';
import { labValuesFrom } from '../../../libs/allocation/lab-resources';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { type ChatImage, chatImage } from '../../../libs/labs/chat-image';
import { type LabContext, labImagesFromConfig } from '../../../libs/labs/lab-runner';
import { LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { PermanentJobError } from '../../../libs/queue/jobs';
import { scopeOf } from '../../../libs/docker/lab-scope';

/** Everything a step needs to act on one ready lab: its scope, host, values and images. */
@Injectable()
export class LabContextFactory {
  private readonly logger = new Logger(LabContextFactory.name);
  /**
   * The chat's mypython2 image (step 3c), found and digested once per process at start-up:
   * a worker without the repository's chat/ folder stops there, saying so, rather than
   * failing every 3c later.
   */
  private readonly chat: ChatImage;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly hosts: DockerHostPool,
  ) {
    this.chat = chatImage(config);
    this.logger.log(`mypython2 is ${this.chat.ref}, built on demand from ${this.chat.recipe.contextDir}`);
  }

  /** `status` is the state the lab must be in: ready, or provisioning while a reset replays its steps. */
  async forLab(labId: string, status: 'ready' | 'provisioning' = 'ready'): Promise<{ context: LabContext; labDefinitionId: string }> {
    const lab = await this.labs.findWithProgress(labId);
    if (!lab) throw new PermanentJobError(`lab ${labId} not found`);
    if (lab.status !== LabStatus[status] || !lab.hostId) throw new PermanentJobError(`lab ${labId} is ${lab.status}, not ${status}`);
    const values = labValuesFrom(lab.allocations, this.config.LAB_PUBLIC_HOST);
    if (!values) throw new PermanentJobError(`lab ${labId} has no allocations`);
    return {
      labDefinitionId: lab.labDefinitionId,
      context: {
        scope: scopeOf(lab, this.config),
        docker: this.hosts.get(lab.hostId),
        values,
        images: labImagesFromConfig(this.config, { mypython2: this.chat.ref }),
        imageBuilds: { mypython2: this.chat.recipe },
      },
    };
  }
}
