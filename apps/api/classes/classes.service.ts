import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { LabEvents } from '../../../libs/events/lab-events';
import { ClassRepository, type NewStudent } from '../../../libs/persistence/class.repository';
import { GradePostRepository, type GradePostStatus } from '../../../libs/persistence/grade-post.repository';
import { isUniqueViolation } from '../../../libs/persistence/prisma-errors';
import { StudentRepository } from '../../../libs/persistence/student.repository';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import { PassedWith } from '../../../libs/persistence/progress.repository';
import { JobQueue } from '../../../libs/queue/job-queue.service';
import { labJobIds } from '../../../libs/queue/job-ids';
import { JobName } from '../../../libs/queue/jobs';
import { studentLabUrl } from '../common/student-link';
import { hashToken, newLabPrefix, newStudentToken } from '../common/tokens';
import { classSettings, DEFAULT_CLASS_SETTINGS } from './class-settings';
import type { CreateClassBody } from './class.schemas';

const DEFAULT_TTL_MINUTES = 240;
const DEFAULT_IDLE_MINUTES = 60;

/** Student rows with fresh tokens (shown once, stored as hashes) and lab prefixes. */
function newStudents(list: { externalId: string; displayName?: string }[]): { students: NewStudent[]; tokens: Map<string, string> } {
  const tokens = new Map<string, string>();
  const students = list.map((s) => {
    const token = newStudentToken();
    tokens.set(s.externalId, token);
    return { externalId: s.externalId, displayName: s.displayName, tokenHash: hashToken(token), labPrefix: newLabPrefix() };
  });
  return { students, tokens };
}

@Injectable()
export class ClassesService {
  private readonly logger = new Logger(ClassesService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly classes: ClassRepository,
    private readonly labs: LabRepository,
    private readonly catalogue: LabCatalogue,
    private readonly queue: JobQueue,
    private readonly students: StudentRepository,
    private readonly events: LabEvents,
    private readonly grades: GradePostRepository,
  ) {}

  /** Creates the class and one lab per student, then queues their provisioning. Tokens are returned once. */
  async create(body: CreateClassBody) {
    if (!this.catalogue.get(body.labDefinitionId)) {
      throw new BadRequestException(`labDefinitionId: unknown lab definition "${body.labDefinitionId}"`);
    }
    const { students, tokens } = newStudents(body.students);
    const created = await this.classes.createWithLabs({
      name: body.name,
      labDefinitionId: body.labDefinitionId,
      labTtlMinutes: body.labTtlMinutes ?? DEFAULT_TTL_MINUTES,
      idleMinutes: body.idleMinutes ?? DEFAULT_IDLE_MINUTES,
      settings: {
        runPolicy: body.runPolicy ?? DEFAULT_CLASS_SETTINGS.runPolicy,
        runAfterFailures: body.runAfterFailures ?? DEFAULT_CLASS_SETTINGS.runAfterFailures,
        language: body.language ?? DEFAULT_CLASS_SETTINGS.language,
      },
      students,
    });
    await this.startLabs(created.class.id, created.labs, 'the class was created but its labs failed, delete it and try again');
    return {
      id: created.class.id,
      name: created.class.name,
      labDefinitionId: created.class.labDefinitionId,
      ...classSettings(created.class),
      labs: this.labsWithTokens(created.labs, tokens),
    };
  }

  /**
   * Adds students to a live class (an LMS enrolling late, a script): one lab each, made and
   * queued by the same code as POST /classes. All or nothing: a student already in the class
   * (even one removed since) is a 409 naming them, and nobody is added.
   */
  async addStudents(classId: string, list: { externalId: string; displayName?: string }[]) {
    const { students, tokens } = newStudents(list);
    let added;
    try {
      added = await this.classes.addStudentsWithLabs(classId, students);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const present = [];
      for (const s of list) if (await this.classes.findStudent(classId, s.externalId)) present.push(s.externalId);
      throw new ConflictException(`students: already in class ${classId}: ${present.join(', ') || 'one of them (added just now)'}; nobody was added`);
    }
    if (!added) throw await this.missingOrDeleted(classId);
    await this.startLabs(classId, added.labs, 'the students were added but their labs failed; remove them and try again');
    return { id: classId, labs: this.labsWithTokens(added.labs, tokens) };
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

  /** Queues the provisioning of new labs; without a queue they are failed now rather than left pending forever. */
  private async startLabs(classId: string, labs: { lab: { id: string; generation: number } }[], advice: string): Promise<void> {
    try {
      await Promise.all(labs.map(({ lab }) => this.queue.enqueue(JobName.ProvisionLab, { labId: lab.id }, { jobId: labJobIds.provision(lab) })));
    } catch (error) {
      this.logger.error(`could not queue provisioning for class ${classId}: ${String(error)}`);
      await Promise.all(labs.map(({ lab }) => this.labs.markFailed(lab.id, 'could not queue provisioning: job queue unavailable')));
      throw new ServiceUnavailableException(`the job queue is unavailable; ${advice}`);
    }
  }

  private labsWithTokens(labs: { lab: { id: string; status: string }; student: { externalId: string } }[], tokens: Map<string, string>) {
    return labs.map(({ lab, student }) => ({
      id: lab.id,
      studentExternalId: student.externalId,
      token: tokens.get(student.externalId)!,
      url: studentLabUrl(this.config, lab.id, tokens.get(student.externalId)!),
      status: lab.status,
    }));
  }

  private async missingOrDeleted(classId: string) {
    const found = await this.classes.findById(classId);
    return found?.deletedAt
      ? new ConflictException(`class ${classId} was deleted at ${found.deletedAt.toISOString()}: no student can be added`)
      : new NotFoundException(`class ${classId} not found`);
  }

  async get(id: string) {
    const found = await this.classes.findById(id);
    if (!found) throw new NotFoundException(`class ${id} not found`);
    return {
      id: found.id,
      name: found.name,
      labDefinitionId: found.labDefinitionId,
      ...classSettings(found),
      createdAt: found.createdAt,
      deletedAt: found.deletedAt,
      labs: found.labs.map((lab) => ({
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
    const grades = await this.grades.latestByLab(found.labs.map((lab) => lab.id));
    return {
      classId: found.id,
      steps: stepIds,
      students: found.labs.map((lab) => {
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
        const post = grades.get(lab.id);
        /** The score passed back to the LMS (LTI AGS), the latest post; null when none was. */
        const grade = post
          ? { status: post.status as GradePostStatus, scoreGiven: post.scoreGiven, scoreMaximum: post.scoreMaximum, ...(post.error ? { error: post.error } : {}), updatedAt: post.updatedAt }
          : null;
        return { externalId: lab.student.externalId, displayName: lab.student.displayName, labId: lab.id, status: lab.status, steps, passedWith, score, grade };
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
