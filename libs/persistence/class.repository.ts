import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Class } from './generated/client';
import { LabStatus } from './generated/enums';
import { type Admission, lockPlacement } from './placement-ledger';
import { PrismaService } from './prisma.service';
import { SEAT_SQL, type SeatRow } from './seat-sql';

export interface NewStudent {
  externalId: string;
  displayName?: string;
  tokenHash: string;
  labPrefix: string;
}

type ClassRow = Class;

/** A class to create (its id generated here, so the one statement can refer to it). */
type NewClass = Pick<ClassRow, 'id' | 'name' | 'labDefinitionId' | 'labTtlMinutes' | 'idleMinutes' | 'runPolicy' | 'runAfterFailures' | 'language' | 'startsAt'>;

/** How students are seated: where their labs come from and whose they are. */
export interface Seating {
  /** The warm pool to claim ready labs from (DEPLOYMENT_ID), or null: every lab is a new one. */
  warmPool: string | null;
  /** The DEPLOYMENT_ID the new labs belong to: they count against its hosts' capacity (placement-ledger.ts). */
  deployment: string;
  /** Checks there is room for the new labs (libs/placement/admission.ts); refusing rolls everything back. */
  admit?: Admission;
}

/** Students seated in a class: each with their lab, `claimed` when it came ready from the warm pool. */
export interface Seated {
  class: ClassRow;
  labs: { student: { id: string; externalId: string }; lab: { id: string; status: LabStatus; generation: number; claimed: boolean } }[];
}

/** A class with its labs and their students, as GET /classes/:id shows it. */
export interface ClassSummary {
  id: string;
  name: string;
  labDefinitionId: string;
  runPolicy: string;
  runAfterFailures: number;
  language: string;
  startsAt: Date | null;
  createdAt: Date;
  deletedAt: Date | null;
  labs: {
    id: string;
    classId: string | null;
    studentId: string | null;
    status: LabStatus;
    hostId: string | null;
    failureReason: string | null;
    endReason: string | null;
    leaked: string | null;
    studentExternalId: string | null;
    displayName: string | null;
  }[];
}

/**
 * One statement for ClassRepository.summaryById (through the ORM, the class, its labs and
 * their students cost about 8 ms of the API's CPU a request). Timestamps are stored in UTC
 * without a zone: read as such, whatever the process' time zone.
 */
const CLASS_SUMMARY = `
SELECT c.id, c.name, c."labDefinitionId", c."runPolicy", c."runAfterFailures", c.language,
       c."startsAt" AT TIME ZONE 'UTC' AS "startsAt", c."createdAt" AT TIME ZONE 'UTC' AS "createdAt",
       c."deletedAt" AT TIME ZONE 'UTC' AS "deletedAt",
       coalesce(json_agg(json_build_object(
         'id', l.id, 'classId', l."classId", 'studentId', l."studentId", 'status', l.status, 'hostId', l."hostId",
         'failureReason', l."failureReason", 'endReason', l."endReason", 'leaked', l.leaked,
         'studentExternalId', s."externalId", 'displayName', s."displayName"
       ) ORDER BY l."createdAt", l.id) FILTER (WHERE l.id IS NOT NULL), '[]') AS labs
FROM "Class" c
LEFT JOIN "Lab" l ON l."classId" = c.id
LEFT JOIN "Student" s ON s.id = l."studentId"
WHERE c.id = $1::uuid
GROUP BY c.id`;

@Injectable()
export class ClassRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates the class, its students and their labs in one statement (SEAT_SQL). With
   * `warmPool`, students get ready warm labs of that pool first; the rest get new labs.
   */
  async createWithLabs(input: {
    name: string;
    labDefinitionId: string;
    labTtlMinutes: number;
    idleMinutes: number;
    settings: { runPolicy: string; runAfterFailures: number; language: string };
    students: NewStudent[];
    /** When the class starts: its labs' clocks (expiry, idle) start then. */
    startsAt?: Date;
  } & Seating) {
    const seated = await this.seat(
      {
        id: randomUUID(),
        name: input.name,
        labDefinitionId: input.labDefinitionId,
        labTtlMinutes: input.labTtlMinutes,
        idleMinutes: input.idleMinutes,
        ...input.settings,
        startsAt: input.startsAt ?? null,
      },
      input.students,
      input,
    );
    return seated!;
  }

  /** Students arriving in a live class (an LMS launch): same as at creation. Null when the class is unknown or deleted. */
  async addStudents(classId: string, students: NewStudent[], seating: Seating) {
    return this.seat(classId, students, seating);
  }

  /**
   * The one way students get labs, in ONE statement on the pg pool (SEAT_SQL, atomic as
   * any statement): the class (a new one, or an existing live one locked FOR SHARE so a
   * concurrent delete waits), the students' rows, ready warm labs claimed for them
   * (`FOR UPDATE SKIP LOCKED`: two claims at once never get the same lab nor wait on each
   * other; the trigger lab_claim_is_final still refuses any re-assignment), then a new lab
   * row (status provisioning) for each one left. `claimed` says which labs came warm
   * (ready now, nothing to queue). Null when `klass` is the id of an unknown or deleted class.
   * With `admit`, the statement runs in a transaction that holds the placement lock from the
   * start (the warm pool's refill takes the same lock before its row locks: no deadlock), and
   * the labs left to provision are admitted before it commits; a refusal rolls it all back.
   */
  private async seat(klass: NewClass | string, students: NewStudent[], { warmPool, deployment, admit }: Seating): Promise<Seated | null> {
    const ids = students.map(() => randomUUID());
    const params = [
      typeof klass === 'string' ? klass : klass.id,
      typeof klass === 'string' ? null : JSON.stringify({ ...klass, startsAt: klass.startsAt?.toISOString() ?? null }),
      ids,
      students.map((s) => s.externalId),
      students.map((s) => s.displayName ?? null),
      students.map((s) => s.tokenHash),
      students.map((s) => s.labPrefix),
      warmPool,
      deployment,
    ];
    const rows = admit ? await this.seatAdmitted(params, admit) : (await this.prisma.pool.query<SeatRow>(SEAT_SQL, params)).rows;
    if (!rows.length) return null;
    const head = rows[0];
    const found: ClassRow = {
      id: head.classId,
      name: head.name,
      labDefinitionId: head.labDefinitionId,
      labTtlMinutes: head.labTtlMinutes,
      idleMinutes: head.idleMinutes,
      runPolicy: head.runPolicy,
      runAfterFailures: head.runAfterFailures,
      language: head.language,
      startsAt: head.startsAt,
      createdAt: head.createdAt,
      deletedAt: null,
    };
    // A live class with no students to add still answers with its row (labId null).
    const labs = rows
      .filter((row) => row.labId !== null)
      .map((row) => ({
        student: { id: row.studentId!, externalId: row.externalId! },
        lab: { id: row.labId!, status: row.claimed ? LabStatus.ready : LabStatus.provisioning, generation: row.generation!, claimed: row.claimed! },
      }));
    return { class: found, labs };
  }

  private async seatAdmitted(params: unknown[], admit: Admission): Promise<SeatRow[]> {
    const client = await this.prisma.pool.connect();
    try {
      await client.query('BEGIN');
      await lockPlacement(client);
      const { rows } = await client.query<SeatRow>(SEAT_SQL, params);
      const cold = rows.filter((row) => row.labId !== null && !row.claimed).length;
      if (cold) await admit(client, cold);
      await client.query('COMMIT');
      return rows;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The student of a class by their external id, with their lab. */
  findStudent(classId: string, externalId: string) {
    return this.prisma.student.findUnique({ where: { classId_externalId: { classId, externalId } }, include: { lab: true } });
  }

  /** Whether the class exists and is not deleted, without loading its labs. */
  async isLive(id: string): Promise<boolean> {
    return (await this.prisma.class.count({ where: { id, deletedAt: null } })) === 1;
  }

  /**
   * Every class not deleted, newest first, with how many of its labs are in each status
   * (GET /classes): two queries whatever the number of classes.
   */
  async listLive() {
    const classes = await this.prisma.class.findMany({
      where: { deletedAt: null },
      orderBy: { createdAt: 'desc' },
      select: { id: true, name: true, labDefinitionId: true, createdAt: true },
    });
    const counts = classes.length
      ? await this.prisma.lab.groupBy({ by: ['classId', 'status'], where: { classId: { in: classes.map((c) => c.id) } }, _count: { _all: true } })
      : [];
    return classes.map((c) => ({
      ...c,
      labsByStatus: Object.fromEntries(counts.filter((row) => row.classId === c.id).map((row) => [row.status, row._count._all])) as Record<string, number>,
    }));
  }

  /** Whether the class exists, deleted or not. */
  async exists(id: string): Promise<boolean> {
    return (await this.prisma.class.count({ where: { id } })) === 1;
  }

  /** The class as GET /classes/:id shows it, in one statement; null when there is none. */
  async summaryById(id: string): Promise<ClassSummary | null> {
    const { rows } = await this.prisma.pool.query<ClassSummary>({ name: 'class-summary', text: CLASS_SUMMARY, values: [id] });
    return rows[0] ?? null;
  }

  findById(id: string) {
    return this.prisma.class.findFirst({
      where: { id },
      include: { labs: { include: { student: true, steps: true }, orderBy: { createdAt: 'asc' } } },
    });
  }

  /**
   * Marks the class deleted and revokes its students' tokens, once: a class already
   * deleted keeps its first deletedAt. Returns the deletedAt in force.
   */
  async markDeleted(id: string): Promise<Date> {
    return this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const { count } = await tx.class.updateMany({ where: { id, deletedAt: null }, data: { deletedAt: now } });
      if (count === 1) await tx.student.updateMany({ where: { classId: id, revokedAt: null }, data: { revokedAt: now } });
      return (await tx.class.findUniqueOrThrow({ where: { id }, select: { deletedAt: true } })).deletedAt!;
    });
  }
}
