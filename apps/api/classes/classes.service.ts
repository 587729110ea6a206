import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { ClassRepository } from '../../../libs/persistence/class.repository';
import { GradePostRepository, type GradePostStatus } from '../../../libs/persistence/grade-post.repository';
import { isClaimed, LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { StudentRepository } from '../../../libs/persistence/student.repository';
import { PassedWith } from '../../../libs/persistence/progress.repository';
import { LabEvents } from '../../../libs/events/lab-events';
import { JobQueue } from '../../../libs/queue/job-queue.service';
import { classJobIds, labJobIds } from '../../../libs/queue/job-ids';
import { JobName } from '../../../libs/queue/jobs';
import { requireClassAccess } from '../common/access';
import type { Actor } from '../common/actor';
import { classSettings, DEFAULT_CLASS_SETTINGS } from './class-settings';
import type { AddStudentsBody, CreateClassBody } from './class.schemas';
import { csvFileName, progressCsv } from './progress-csv';
import { classProgressStream, countByStatus } from './class-progress';
import { StudentLabsService } from './student-labs.service';

const DEFAULT_TTL_MINUTES = 240;
const DEFAULT_IDLE_MINUTES = 60;

@Injectable()
export class ClassesService {
  constructor(
    private readonly classes: ClassRepository,
    private readonly catalogue: LabCatalogue,
    private readonly queue: JobQueue,
    private readonly labs: LabRepository,
    private readonly events: LabEvents,
    private readonly studentLabs: StudentLabsService,
    private readonly students: StudentRepository,
    private readonly grades: GradePostRepository,
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

  /** Every live (not deleted) class with how many labs are in each status: the dashboard's first page. */
  async list() {
    const rows = await this.classes.listLive();
    return rows.map((row) => {
      const labsByStatus = Object.fromEntries(Object.values(LabStatus).map((status) => [status, row.labsByStatus[status] ?? 0])) as Record<LabStatus, number>;
      return {
        id: row.id,
        name: row.name,
        labDefinitionId: row.labDefinitionId,
        createdAt: row.createdAt,
        labs: Object.values(labsByStatus).reduce((a, b) => a + b, 0),
        labsByStatus,
      };
    });
  }

  /** Students arriving in a live class: a warm lab each while the pool has some, else one provisioned for them. */
  async addStudents(id: string, body: AddStudentsBody) {
    const added = await this.studentLabs.addStudents(id, body.students);
    return { id: added.class.id, labs: added.labs };
  }

  /**
   * Removes a student from a live class: their token stops working at once (and their open
   * terminals close) and their lab is torn down as by DELETE /labs/:id. Their record and
   * progress stay (the grid shows the lab destroyed, ended "deleted").
   */
  async removeStudent(classId: string, externalId: string) {
    const student = await this.classes.findStudent(classId, externalId);
    if (!student?.lab) throw new NotFoundException(`student ${externalId} not found in class ${classId}`);
    const lab = student.lab;
    await this.students.revokeToken(lab.id);
    await this.events.publish({ type: 'token-revoked', labId: lab.id, why: 'revoked' });
    if (lab.status !== 'destroyed') await this.queue.enqueue(JobName.TeardownLab, { labId: lab.id, reason: 'deleted' }, { jobId: labJobIds.teardown(lab, 'deleted') });
    return { classId, externalId, labId: lab.id, status: 'destroying' };
  }

  /** The admin, or an instructor of this class (a dashboard link); anyone else 404. */
  async get(actor: Actor, id: string) {
    requireClassAccess(actor, id);
    const found = await this.classes.summaryById(id);
    if (!found) throw new NotFoundException(`class ${id} not found`);
    return {
      id: found.id,
      name: found.name,
      labDefinitionId: found.labDefinitionId,
      ...classSettings(found),
      startsAt: found.startsAt,
      createdAt: found.createdAt,
      deletedAt: found.deletedAt,
      /** How many labs are in each status: provisioning progress at a glance. */
      counts: countByStatus(found.labs.filter(isClaimed)),
      labs: found.labs.filter(isClaimed).map((lab) => ({
        id: lab.id,
        studentExternalId: lab.studentExternalId,
        displayName: lab.displayName,
        status: lab.status,
        hostId: lab.hostId,
        failureReason: lab.failureReason,
        endReason: lab.endReason,
        /** What its teardown could not remove from the engine (its allocations stay held until the reconciler does). */
        leaked: lab.leaked,
      })),
    };
  }

  /** Server-sent events of the class's provisioning (see class-progress.ts); the route's guard answers 404 for an unknown class. */
  progressEvents(id: string) {
    return classProgressStream(id, {
      statuses: () => this.labs.statusesByClass(id),
      subscribe: (handler) => this.events.subscribe(handler),
    });
  }

  /**
   * The instructor's grid: every student's status per step, and what the dashboard needs to
   * tell who is stuck: attempts per step, last activity, the lab's state and why it ended.
   * `generatedAt` is the server's clock, so idle times do not depend on the browser's.
   */
  async progress(actor: Actor, id: string) {
    requireClassAccess(actor, id);
    const found = await this.classes.findById(id);
    if (!found) throw new NotFoundException(`class ${id} not found`);
    const definition = this.catalogue.get(found.labDefinitionId);
    const stepIds = definition ? definition.steps.map((s) => s.id) : [];
    const grades = await this.grades.latestByLab(found.labs.map((lab) => lab.id));
    return {
      classId: found.id,
      steps: stepIds,
      students: found.labs.filter(isClaimed).map((lab) => {
        const byStep = new Map(lab.steps.map((p) => [p.stepId, p]));
        const steps: Record<string, string> = {};
        /** Per passed step: by the student's own work or after running its solution. */
        const passedWith: Record<string, string> = {};
        /** Verifies of each step (for a step not passed, all of them failed). */
        const attempts: Record<string, number> = {};
        let score = 0;
        for (const stepId of stepIds) {
          const status = byStep.get(stepId)?.status ?? 'pending';
          steps[stepId] = status;
          attempts[stepId] = byStep.get(stepId)?.attempts ?? 0;
          if (status === 'passed') {
            score++;
            // Steps passed before runs were recorded (no passedWith) had no way to be told apart.
            passedWith[stepId] = byStep.get(stepId)?.passedWith ?? PassedWith.ownWork;
          }
        }
        const post = grades.get(lab.id);
        /** The score passed back to the LMS (LTI AGS), the latest post; null when none was. */
        const grade = post
          ? { status: post.status as GradePostStatus, scoreGiven: post.scoreGiven, scoreMaximum: post.scoreMaximum, ...(post.error ? { error: post.error } : {}), updatedAt: post.updatedAt }
          : null;
        return {
          externalId: lab.student.externalId,
          displayName: lab.student.displayName,
          labId: lab.id,
          status: lab.status,
          steps,
          passedWith,
          score,
          attempts,
          lastActivityAt: lab.lastActivityAt,
          expiresAt: lab.expiresAt,
          endReason: lab.endReason,
          failureReason: lab.failureReason,
          grade,
        };
      }),
      generatedAt: new Date(),
    };
  }

  /** The progress grid as a CSV file (progress-csv.ts), named after the class. */
  async progressCsv(actor: Actor, id: string): Promise<{ fileName: string; body: string }> {
    const grid = await this.progress(actor, id);
    const found = await this.classes.findById(id);
    return { fileName: csvFileName(found?.name ?? 'class'), body: progressCsv(grid) };
  }

  /**
   * Revokes the students' tokens and queues one teardown job for all the class's labs
   * (the worker removes them together, see TeardownService). Idempotent: a class already
   * deleted keeps its first deletedAt (returned); while labs are not destroyed, the job is
   * queued again unless it is still queued or running.
   */
  async remove(id: string) {
    const labs = await this.labs.statusesByClass(id);
    if (!labs.length && !(await this.classes.findById(id))) throw new NotFoundException(`class ${id} not found`);
    const deletedAt = await this.classes.markDeleted(id);
    const live = labs.filter((lab) => lab.status !== 'destroyed');
    if (live.length) await this.queue.ensure(JobName.TeardownClass, { classId: id, reason: 'deleted' }, classJobIds.teardown(id));
    return { id, status: 'deleting', deletedAt, labs: live.length };
  }
}
