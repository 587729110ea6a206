import { ConflictException, Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { ClassRepository, type NewStudent, type Seated } from '../../../libs/persistence/class.repository';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import type { Admission } from '../../../libs/persistence/placement-ledger';
import { isUniqueViolation } from '../../../libs/persistence/prisma-errors';
import { admissionFor, PlacementRefusedError } from '../../../libs/placement/admission';
import { HostCapacityService } from '../../../libs/placement/host-capacity.service';
import { JobQueue } from '../../../libs/queue/job-queue.service';
import { labJobIds } from '../../../libs/queue/job-ids';
import { JobName } from '../../../libs/queue/jobs';
import { NoRoomException } from '../common/no-room.exception';
import { studentLabUrl } from '../common/student-link';
import { hashToken, newLabPrefix, newStudentToken } from '../common/tokens';

export interface ArrivingStudent {
  externalId: string;
  displayName?: string;
}

export interface ClassToCreate {
  name: string;
  labDefinitionId: string;
  labTtlMinutes: number;
  idleMinutes: number;
  settings: { runPolicy: string; runAfterFailures: number; language: string };
  startsAt?: Date;
}

/**
 * The one path by which students get labs, at class creation (POST /classes) or when
 * they arrive in a live class (POST /classes/:id/students, an LMS launch): their tokens,
 * a ready warm lab each while the pool has some (claimed in the same transaction), a lab
 * provisioned for them otherwise; then the provisioning of those is queued and the pool
 * told to refill. Tokens are returned once. New labs are admitted only when the Docker
 * hosts that are up have room for all of them (libs/placement/admission.ts, in the same
 * transaction): otherwise a 503 with Retry-After, and nothing is created.
 */
@Injectable()
export class StudentLabsService {
  private readonly logger = new Logger(StudentLabsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly classes: ClassRepository,
    private readonly labs: LabRepository,
    private readonly queue: JobQueue,
    private readonly capacity: HostCapacityService,
  ) {}

  async createClass(input: ClassToCreate, students: ArrivingStudent[]) {
    const { rows, tokens } = this.newStudents(students);
    const admit = await this.admission();
    const created = await this.refusedAsNoRoom('nothing was created', () =>
      this.classes.createWithLabs({ ...input, students: rows, warmPool: this.warmPool(input.startsAt), deployment: this.config.DEPLOYMENT_ID, admit }),
    );
    return { class: created.class, labs: await this.launch(created, tokens) };
  }

  /**
   * All or nothing: a student already in the class (even one removed since) is a 409 naming
   * them, and nobody is added; a deleted class is a 409 saying so, an unknown one 404.
   */
  async addStudents(classId: string, students: ArrivingStudent[]) {
    const { rows, tokens } = this.newStudents(students);
    const admit = await this.admission();
    let found;
    try {
      found = await this.refusedAsNoRoom('nobody was added', () => this.classes.addStudents(classId, rows, { warmPool: this.warmPool(undefined), deployment: this.config.DEPLOYMENT_ID, admit }));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Nothing was written (one transaction): say which students are already there.
      const present = [];
      for (const s of students) if (await this.classes.findStudent(classId, s.externalId)) present.push(s.externalId);
      throw new ConflictException(`students: already in class ${classId}: ${present.join(', ') || 'one of them (added just now)'}; nobody was added`);
    }
    if (!found) throw await this.missingOrDeleted(classId);
    return { class: found.class, labs: await this.launch(found, tokens) };
  }

  /** Capacities are read before the seating transaction (they may ask an engine); the count of live labs is taken in it. */
  private async admission(): Promise<Admission> {
    return admissionFor(await this.capacity.capacities(), this.config);
  }

  private async refusedAsNoRoom<T>(nothingDone: string, seat: () => Promise<T>): Promise<T> {
    try {
      return await seat();
    } catch (error) {
      if (!(error instanceof PlacementRefusedError)) throw error;
      const retry = this.config.PLACEMENT_RETRY_AFTER_S;
      throw new NoRoomException(
        `the Docker hosts are full: ${error.unplaced} of the ${error.requested} labs could not be placed (room for ${error.free} more now); ` +
          `${nothingDone}. Try again in ${retry} s, with fewer students, or once other classes end`,
        retry,
      );
    }
  }

  private async missingOrDeleted(classId: string) {
    const found = await this.classes.findById(classId);
    return found?.deletedAt
      ? new ConflictException(`class ${classId} was deleted at ${found.deletedAt.toISOString()}: no student can be added`)
      : new NotFoundException(`class ${classId} not found`);
  }

  /**
   * The pool to claim from, or null: none configured (WARM_LABS_PER_HOST=0), or the class
   * starts later than WARM_AHEAD_MINUTES from now (its labs are then provisioned ahead for it).
   */
  private warmPool(startsAt: Date | undefined): string | null {
    if (this.config.WARM_LABS_PER_HOST === 0) return null;
    if (startsAt && startsAt.getTime() - Date.now() > this.config.WARM_AHEAD_MINUTES * 60_000) return null;
    return this.config.DEPLOYMENT_ID;
  }

  private newStudents(students: ArrivingStudent[]): { rows: NewStudent[]; tokens: Map<string, string> } {
    const tokens = new Map<string, string>();
    const rows = students.map((s) => {
      const token = newStudentToken();
      tokens.set(s.externalId, token);
      return { externalId: s.externalId, displayName: s.displayName, tokenHash: hashToken(token), labPrefix: newLabPrefix() };
    });
    return { rows, tokens };
  }

  private async launch(seated: Seated, tokens: Map<string, string>) {
    const cold = seated.labs.filter(({ lab }) => !lab.claimed);
    // A class that starts later: its labs start provisioning WARM_AHEAD_MINUTES before.
    const startsAt = seated.class.startsAt?.getTime();
    const delay = startsAt ? Math.max(0, startsAt - this.config.WARM_AHEAD_MINUTES * 60_000 - Date.now()) : 0;
    try {
      await Promise.all(cold.map(({ lab }) => this.queue.enqueue(JobName.ProvisionLab, { labId: lab.id }, { jobId: labJobIds.provision(lab), ...(delay ? { delay } : {}) })));
    } catch (error) {
      // Without a queue no lab would ever become ready: fail them now rather than leave them pending forever.
      this.logger.error(`could not queue provisioning for class ${seated.class.id}: ${String(error)}`);
      await Promise.all(cold.map(({ lab }) => this.labs.markFailed(lab.id, 'could not queue provisioning: job queue unavailable')));
      throw new ServiceUnavailableException('the job queue is unavailable; the class was created but its labs failed, delete it and try again');
    }
    if (cold.length < seated.labs.length) {
      // Labs left the pool: top it up now rather than at the next scheduled refill.
      void this.queue
        .enqueue(JobName.RefillWarmLabs, {}, { attempts: 1, removeOnComplete: true, removeOnFail: true })
        .catch((error: unknown) => this.logger.warn(`could not queue a warm pool refill: ${String(error)}`));
    }
    return seated.labs.map(({ lab, student }) => ({
      id: lab.id,
      studentExternalId: student.externalId,
      token: tokens.get(student.externalId)!,
      url: studentLabUrl(this.config, lab.id, tokens.get(student.externalId)!),
      status: lab.status,
      /** Whether the lab came ready from the warm pool. */
      warm: lab.claimed,
    }));
  }
}
