/**
 * The class progress grid as CSV (GET /classes/:id/progress.csv): one row per student, the
 * same facts as the dashboard's grid. RFC 4180 (CRLF, quotes doubled), with a UTF-8 BOM so
 * that spreadsheets read accented names right, and no cell a spreadsheet would run as a
 * formula: names come from students and LMSs, so one starting with = + - @ is prefixed
 * with an apostrophe (OWASP "CSV injection").
 */

/** What a cell of the grid says about one step of one student. */
export type CellState = 'own-work' | 'solution' | 'failed' | 'pending';

export interface GradeForCsv {
  status: string;
  scoreGiven?: number | null;
  scoreMaximum?: number | null;
  error?: string | null;
}

export interface ProgressForCsv {
  steps: string[];
  students: {
    externalId: string;
    displayName?: string | null;
    labId: string;
    status: string;
    steps: Record<string, string>;
    passedWith: Record<string, string>;
    attempts?: Record<string, number>;
    score: number;
    lastActivityAt?: Date | string | null;
    endReason?: string | null;
    failureReason?: string | null;
    /** Grade passback (LTI): the latest post, null before any; the columns appear once a student has one. */
    grade?: GradeForCsv | null;
  }[];
}

export function cellState(status: string | undefined, passedWith: string | undefined): CellState {
  if (status === 'passed') return passedWith === 'solution' ? 'solution' : 'own-work';
  return status === 'failed' ? 'failed' : 'pending';
}

export function progressCsv(progress: ProgressForCsv): string {
  // Every student has `grade` (null before any post): columns only once the class has a grade post.
  const withGrades = progress.students.some((s) => s.grade !== undefined && s.grade !== null);
  const header = [
    'student',
    'displayName',
    'labId',
    'labStatus',
    'endReason',
    'failureReason',
    'lastActivityAt',
    'score',
    'steps',
    ...progress.steps.flatMap((step) => [step, `${step} attempts`]),
    ...(withGrades ? ['gradeStatus', 'gradeScore', 'gradeError'] : []),
  ];
  const rows = progress.students.map((s) => [
    s.externalId,
    s.displayName ?? '',
    s.labId,
    s.status,
    s.endReason ?? '',
    s.failureReason ?? '',
    s.lastActivityAt ? new Date(s.lastActivityAt).toISOString() : '',
    String(s.score),
    String(progress.steps.length),
    ...progress.steps.flatMap((step) => [cellState(s.steps[step], s.passedWith[step]), String(s.attempts?.[step] ?? 0)]),
    ...(withGrades ? gradeCells(s.grade) : []),
  ]);
  return '\ufeff' + [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function gradeCells(grade: GradeForCsv | null | undefined): string[] {
  if (!grade) return ['', '', ''];
  const score = grade.scoreGiven === undefined || grade.scoreGiven === null ? '' : `${grade.scoreGiven}/${grade.scoreMaximum ?? ''}`;
  return [grade.status, score, grade.error ?? ''];
}

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A file name for the download: the class's name, kept to letters, digits, dot, dash and underscore. */
export function csvFileName(className: string): string {
  const base = className.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  return `${base || 'class'}-progress.csv`;
}
