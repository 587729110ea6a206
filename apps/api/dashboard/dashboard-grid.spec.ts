import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// The browser's own file (a plain script, also loaded by the dashboard page), required as CommonJS.
const sut = createRequire(__filename)('./assets/dashboard-grid.js') as {
  DEFAULTS: { failures: number; idleMinutes: number };
  cellOf(student: object, step: string): { state: string; attempts: number };
  stuckReasons(student: object, steps: string[], options: object | undefined, now: string | number): { kind: string; step?: string; attempts?: number; minutes?: number }[];
  rows(progress: object, filter?: object, options?: object, now?: string | number): { student: { externalId: string }; cells: { step: string; state: string; attempts: number }[]; passed: number; stuck: object[] }[];
  stepTotals(progress: object): Record<string, number | string>[];
  hasGrades(progress: object): boolean;
};

const NOW = '2026-11-28T10:00:00.000Z';
const minutesAgo = (m: number) => new Date(Date.parse(NOW) - m * 60_000).toISOString();
const STEPS = ['1a', '1b', '1c'];

function student(externalId: string, over: Record<string, unknown> = {}) {
  return {
    externalId,
    labId: `lab-${externalId}`,
    status: 'ready',
    steps: { '1a': 'pending', '1b': 'pending', '1c': 'pending' },
    passedWith: {},
    attempts: { '1a': 0, '1b': 0, '1c': 0 },
    score: 0,
    lastActivityAt: minutesAgo(1),
    ...over,
  };
}

const verifier = student('ana', { steps: { '1a': 'passed', '1b': 'passed', '1c': 'pending' }, passedWith: { '1a': 'own-work', '1b': 'own-work' }, attempts: { '1a': 1, '1b': 2, '1c': 0 }, score: 2 });
const runner = student('ben', { steps: { '1a': 'passed', '1b': 'pending', '1c': 'pending' }, passedWith: { '1a': 'solution' }, attempts: { '1a': 1, '1b': 0, '1c': 0 }, score: 1 });
const stuckOn1b = student('cleo', { steps: { '1a': 'passed', '1b': 'failed', '1c': 'pending' }, passedWith: { '1a': 'own-work' }, attempts: { '1a': 1, '1b': 3, '1c': 0 }, score: 1 });
const progress = { classId: 'c', steps: STEPS, students: [verifier, runner, stuckOn1b], generatedAt: NOW };

describe('dashboard grid', () => {
  it('tells a pass by own work from a pass after the solution, failed from pending, with attempts', () => {
    expect(sut.cellOf(verifier, '1b')).toEqual({ state: 'own-work', attempts: 2 });
    expect(sut.cellOf(runner, '1a')).toEqual({ state: 'solution', attempts: 1 });
    expect(sut.cellOf(stuckOn1b, '1b')).toEqual({ state: 'failed', attempts: 3 });
    expect(sut.cellOf(stuckOn1b, '1c')).toEqual({ state: 'pending', attempts: 0 });
    // A step passed before passedWith was recorded counts as own work (as the API says).
    expect(sut.cellOf(student('old', { steps: { '1a': 'passed' }, passedWith: {} }), '1a').state).toBe('own-work');
    // An older API without attempts: zero, not undefined.
    expect(sut.cellOf({ steps: { '1a': 'failed' } }, '1a')).toEqual({ state: 'failed', attempts: 0 });
  });

  it('finds the student with N failed verifies of a step they have not passed, N configurable', () => {
    const stuck = sut.rows(progress, { stuck: true }, { failures: 3, idleMinutes: 15 }, NOW);
    expect(stuck.map((r) => r.student.externalId)).toEqual(['cleo']);
    expect(stuck[0].stuck).toEqual([{ kind: 'failures', step: '1b', attempts: 3 }]);
    // 2 attempts on a passed step never make anyone stuck; with N=2 still only cleo, with N=4 nobody.
    expect(sut.rows(progress, { stuck: true }, { failures: 2, idleMinutes: 15 }, NOW).map((r) => r.student.externalId)).toEqual(['cleo']);
    expect(sut.rows(progress, { stuck: true }, { failures: 4, idleMinutes: 15 }, NOW)).toEqual([]);
  });

  it('finds the student idle for M minutes while not finished and their lab not over', () => {
    const idle = student('dan', { lastActivityAt: minutesAgo(20) });
    expect(sut.stuckReasons(idle, STEPS, { failures: 3, idleMinutes: 15 }, NOW)).toEqual([{ kind: 'idle', minutes: 20 }]);
    expect(sut.stuckReasons(idle, STEPS, { failures: 3, idleMinutes: 30 }, NOW)).toEqual([]);
    // Finished: idle is fine.
    const done = student('eve', { steps: { '1a': 'passed', '1b': 'passed', '1c': 'passed' }, lastActivityAt: minutesAgo(90) });
    expect(sut.stuckReasons(done, STEPS, { idleMinutes: 15 }, NOW)).toEqual([]);
    // A lab torn down (expired, deleted) is over, not idle; a failed lab still counts.
    expect(sut.stuckReasons({ ...idle, status: 'destroyed' }, STEPS, { idleMinutes: 15 }, NOW)).toEqual([]);
    expect(sut.stuckReasons({ ...idle, status: 'failed' }, STEPS, { idleMinutes: 15 }, NOW)).toEqual([{ kind: 'idle', minutes: 20 }]);
    // The server's clock (generatedAt) is used when no `now` is given.
    expect(sut.rows({ ...progress, students: [idle] }, { stuck: true }).map((r) => r.student.externalId)).toEqual(['dan']);
  });

  it('falls back to the defaults (3 failures, 15 minutes) for missing or nonsense options', () => {
    expect(sut.DEFAULTS).toEqual({ failures: 3, idleMinutes: 15 });
    expect(sut.stuckReasons(stuckOn1b, STEPS, { failures: 0, idleMinutes: -5 }, NOW)).toEqual([{ kind: 'failures', step: '1b', attempts: 3 }]);
    expect(sut.stuckReasons(stuckOn1b, STEPS, { failures: Number.NaN }, NOW)).toHaveLength(1);
    expect(sut.stuckReasons(student('x', { lastActivityAt: minutesAgo(14) }), STEPS, undefined, NOW)).toEqual([]);
  });

  it('filters by lab status and by stuck together, keeping the API order', () => {
    const failedLab = student('fay', { status: 'failed', lastActivityAt: minutesAgo(1) });
    const all = { ...progress, students: [...progress.students, failedLab] };
    expect(sut.rows(all).map((r) => r.student.externalId)).toEqual(['ana', 'ben', 'cleo', 'fay']);
    expect(sut.rows(all, { status: 'failed' }).map((r) => r.student.externalId)).toEqual(['fay']);
    expect(sut.rows(all, { status: 'ready', stuck: true }, {}, NOW).map((r) => r.student.externalId)).toEqual(['cleo']);
    expect(sut.rows(all, { status: 'failed', stuck: true }, {}, NOW)).toEqual([]);
    const row = sut.rows(all)[0];
    expect(row.passed).toBe(2);
    expect(row.cells.map((c) => `${c.step}:${c.state}:${c.attempts}`)).toEqual(['1a:own-work:1', '1b:own-work:2', '1c:pending:0']);
  });

  it('counts each state per step, and shows grades only when the API sends them', () => {
    expect(sut.stepTotals(progress)).toEqual([
      { step: '1a', 'own-work': 2, solution: 1, failed: 0, pending: 0 },
      { step: '1b', 'own-work': 1, solution: 0, failed: 1, pending: 1 },
      { step: '1c', 'own-work': 0, solution: 0, failed: 0, pending: 3 },
    ]);
    expect(sut.hasGrades(progress)).toBe(false);
    // The API sends grade: null to every student of a class with no grade post yet: no column.
    expect(sut.hasGrades({ ...progress, students: [{ ...verifier, grade: null }] })).toBe(false);
    expect(sut.hasGrades({ ...progress, students: [{ ...verifier, grade: null }, { ...verifier, grade: { status: 'sent' } }] })).toBe(true);
  });
});
