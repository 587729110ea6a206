import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { DockerHostPool } from '../../../libs/docker/docker-host-pool';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { ProgressRepository } from '../../../libs/persistence/progress.repository';
import { type JobResults, JobName } from '../../../libs/queue/jobs';
import { StepsService } from '../steps/steps.service';
import { scopeOf } from '../../../libs/docker/lab-scope';
import { ProvisioningService } from './provisioning.service';

/**
 * Gives a student a fresh lab: everything on the host is removed and provisioned again;
 * progress rows are untouched. With replay, the solutions of the steps already passed
 * run again in the TP's order, so the student resumes where they were.
 */
@Injectable()
export class ResetService {
  private readonly logger = new Logger(ResetService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly hosts: DockerHostPool,
    private readonly provisioning: ProvisioningService,
    private readonly progress: ProgressRepository,
    private readonly catalogue: LabCatalogue,
    private readonly steps: StepsService,
  ) {}

  async reset(labId: string, replayAll: boolean): Promise<JobResults[JobName.ResetLab]> {
    const lab = await this.labs.findById(labId);
    if (!lab || lab.status !== LabStatus.provisioning) return { outcome: 'skipped', replayed: [], reason: lab ? `lab is ${lab.status}` : 'lab not found' };
    if (lab.hostId) await this.hosts.get(lab.hostId).removeLab(scopeOf(lab, this.config));
    const replayed: string[] = [];
    const replay = async () => {
      if (!replayAll) return;
      const passed = new Set((await this.progress.passedSteps(labId)).map((p) => p.stepId));
      const order = this.catalogue.get(lab.labDefinitionId)?.steps.map((s) => s.id) ?? [];
      for (const stepId of order.filter((id) => passed.has(id))) {
        const result = await this.steps.run(labId, stepId, { duringReset: true });
        if (!result.succeeded) this.logger.warn(`lab ${labId}: replay of ${stepId} failed: ${result.error}`);
        replayed.push(stepId);
      }
    };
    // The lab is ready only once it is back where the student was.
    const provisioned = await this.provisioning.provision(labId, replay);
    if (provisioned.outcome !== 'ready') return { outcome: provisioned.outcome, replayed: [], reason: provisioned.reason };
    this.logger.log(`lab ${labId} reset${replayed.length ? `, replayed ${replayed.join(' ')}` : ''}`);
    return { outcome: 'ready', replayed };
  }
}
