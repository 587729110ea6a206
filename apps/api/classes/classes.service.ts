import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { ClassRepository } from '../../../libs/persistence/class.repository';
import { isClaimed } from '../../../libs/persistence/lab.repository';
import { PassedWith } from '../../../libs/persistence/progress.repository';
import { JobQueue } from '../../../libs/queue/job-queue.service';
import { labJobIds } from '../../../libs/queue/job-ids';
import { JobName } from '../../../libs/queue/jobs';
import { classSettings, DEFAULT_CLASS_SETTINGS } from './class-settings';
import type { AddStudentsBody, CreateClassBody } from './class.schemas';
import { StudentLabsService } from './student-labs.service';

const DEFAULT_TTL_MINUTES = 240;
const DEFAULT_IDLE_MINUTES = 60;

@Injectable()
export class ClassesService {
  constructor(
    private readonly classes: ClassRepository,
    private readonly catalogue: LabCatalogue,
    private readonly queue: JobQueue,
    private readonly studentLabs: StudentLabsService,
  ) {}

  /** Creates the class and one lab per student (StudentLabsService: warm labs first). Tokens are returned once. */
  async create(body: CreateClassBody) {
    if (!this.catalogue.get(body.labDefinitionId)) {
      throw new BadRequestException(`labDefinitionId: unknown lab definition "${body.labDefinitionId}"`);
    }
    const created = await this.studentLabs.createClass(
      {
        name: body.name,
        labDefinitionId: body.labDefinitionId,
        labTtlMinutes: body.labTtlMinutes ?? DEFAULT_TTL_MINUTES,
        idleMinutes: body.idleMinutes ?? DEFAULT_IDLE_MINUTES,
        settings: {
          runPolicy: body.runPolicy ?? DEFAULT_CLASS_SETTINGS.runPolicy,
          runAfterFailures: body.runAfterFailures ?? DEFAULT_CLASS_SETTINGS.runAfterFailures,
          language: body.language ?? DEFAULT_CLASS_SETTINGS.language,
        },
        startsAt: body.startsAt ? new Date(body.startsAt) : undefined,
      },
      body.students,
    );
    return {
      id: created.class.id,
      name: created.class.name,
      labDefinitionId: created.class.labDefinitionId,
      ...classSettings(created.class),
      startsAt: created.class.startsAt,
      labs: created.labs,
    };
  }

  /** Students arriving in a live class: a warm lab each while the pool has some, else one provisioned for them. */
  async addStudents(id: string, body: AddStudentsBody) {
    const added = await this.studentLabs.addStudents(id, body.students);
    return { id: added.class.id, labs: added.labs };
  }

  async get(id: string) {
    const found = await this.classes.findById(id);
    if (!found) throw new NotFoundException(`class ${id} not found`);
    return {
      id: found.id,
      name: found.name,
      labDefinitionId: found.labDefinitionId,
      ...classSettings(found),
      startsAt: found.startsAt,
      createdAt: found.createdAt,
      deletedAt: found.deletedAt,
      labs: found.labs.filter(isClaimed).map((lab) => ({
        id: lab.id,
        studentExternalId: lab.student.externalId,
        displayName: lab.student.displayName,
        status: lab.status,
        hostId: lab.hostId,
        failureReason: lab.failureReason,
        endReason: lab.endReason,
      })),
    };
  }

  /** The instructor's grid: every student's status per step. */
  async progress(id: string) {
    const found = await this.classes.findById(id);
    if (!found) throw new NotFoundException(`class ${id} not found`);
    const definition = this.catalogue.get(found.labDefinitionId);
    const stepIds = definition ? definition.steps.map((s) => s.id) : [];
    return {
      classId: found.id,
      steps: stepIds,
      students: found.labs.filter(isClaimed).map((lab) => {
        const byStep = new Map(lab.steps.map((p) => [p.stepId, p]));
        const steps: Record<string, string> = {};
        /** Per passed step: by the student's own work or after running its solution. */
        const passedWith: Record<string, string> = {};
        let score = 0;
        for (const stepId of stepIds) {
          const status = byStep.get(stepId)?.status ?? 'pending';
          steps[stepId] = status;
          if (status === 'passed') {
            score++;
            // Steps passed before runs were recorded (no passedWith) had no way to be told apart.
            passedWith[stepId] = byStep.get(stepId)?.passedWith ?? PassedWith.ownWork;
          }
        }
        return { externalId: lab.student.externalId, displayName: lab.student.displayName, labId: lab.id, status: lab.status, steps, passedWith, score };
      }),
    };
  }

  /**
   * Revokes the students' tokens and queues the teardown of every lab. Idempotent: a
   * class already deleted keeps its first deletedAt (returned), and the teardowns of labs
   * not yet destroyed are queued again under the same ids, which BullMQ dedupes.
   */
  async remove(id: string) {
    const found = await this.classes.findById(id);
    if (!found) throw new NotFoundException(`class ${id} not found`);
    const deletedAt = await this.classes.markDeleted(id);
    const live = found.labs.filter((lab) => lab.status !== 'destroyed');
    await Promise.all(live.map((lab) => this.queue.enqueue(JobName.TeardownLab, { labId: lab.id, reason: 'deleted' }, { jobId: labJobIds.teardown(lab, 'deleted') })));
    return { id, status: 'deleting', deletedAt, labs: live.length };
  }
}
