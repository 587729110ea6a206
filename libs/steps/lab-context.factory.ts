import { Inject, Injectable, Logger } from '@nestjs/common';
import { labValuesFrom } from '../allocation/lab-resources';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DockerHostPool } from '../docker/docker-host-pool';
import { type ChatImage, chatImage } from '../labs/chat-image';
import { type LabContext, labImagesFromConfig } from '../labs/lab-runner';
import { LabRepository, LabStatus } from '../persistence/lab.repository';
import { PermanentJobError, type StepJobLab } from '../queue/jobs';
import { scopeOf } from '../docker/lab-scope';

/** A step job's lab: the context the runner acts in, its definition and generation. */
export interface LabJobContext {
  context: LabContext;
  labDefinitionId: string;
  generation: number;
}

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

  /**
   * Reads the lab (one query) and makes sure it is in `status` (ready, or provisioning while a
   * reset replays its steps) and, when given, of `generation` (the one the job was queued for).
   */
  async forLab(labId: string, status: 'ready' | 'provisioning' = 'ready', generation?: number): Promise<LabJobContext> {
    const lab = await this.labs.snapshot(labId);
    if (!lab) throw new PermanentJobError(`lab ${labId} not found`);
    if (lab.status !== LabStatus[status] || !lab.hostId) throw new PermanentJobError(`lab ${labId} is ${lab.status}, not ${status}`);
    if (generation !== undefined && lab.generation !== generation) throw new PermanentJobError(`lab ${labId} was reset since this step was asked for (not ready then): try again`);
    return this.build(labId, { ...lab, hostId: lab.hostId });
  }

  /**
   * The context from what the job carries, without reading the database. Only for work that
   * changes nothing in the lab before a write that checks the lab is still ready (verify).
   */
  fromJob(labId: string, lab: StepJobLab): LabJobContext {
    return this.build(labId, lab);
  }

  private build(labId: string, lab: StepJobLab): LabJobContext {
    const values = labValuesFrom(lab.allocations, this.config.LAB_PUBLIC_HOST);
    if (!values) throw new PermanentJobError(`lab ${labId} has no allocations`);
    return {
      labDefinitionId: lab.labDefinitionId,
      generation: lab.generation,
      context: {
        scope: scopeOf({ id: labId, classId: lab.classId, prefix: lab.prefix }, this.config),
        docker: this.hosts.get(lab.hostId),
        values,
        images: labImagesFromConfig(this.config, { mypython2: this.chat.ref }),
        imageBuilds: { mypython2: this.chat.recipe },
      },
    };
  }
}
