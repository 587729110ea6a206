import { describe, expect, it } from 'vitest';
import { cellState, csvCell, csvFileName, progressCsv } from './progress-csv';

const base = {
  externalId: 'ana',
  displayName: 'Ana Lopes',
  labId: 'l1',
  status: 'ready',
  steps: { '1a': 'passed', '1b': 'failed' },
  passedWith: { '1a': 'solution' },
  attempts: { '1a': 1, '1b': 3 },
  score: 1,
  lastActivityAt: new Date('2026-11-28T10:00:00Z'),
  endReason: null,
  failureReason: null,
};

/** Parses what progressCsv writes (quoted cells may hold commas, quotes and line breaks). */
function parse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe('progressCsv', () => {
  it('writes one row per student with each step state and its attempts, BOM and CRLF', () => {
    const text = progressCsv({ steps: ['1a', '1b'], students: [base] });
    expect(text.startsWith('\ufeff')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parse(text.slice(1))).toEqual([
      ['student', 'displayName', 'labId', 'labStatus', 'endReason', 'failureReason', 'lastActivityAt', 'score', 'steps', '1a', '1a attempts', '1b', '1b attempts'],
      ['ana', 'Ana Lopes', 'l1', 'ready', '', '', '2026-11-28T10:00:00.000Z', '1', '2', 'solution', '1', 'failed', '3'],
    ]);
  });

  it('quotes commas, quotes and line breaks, and defuses cells a spreadsheet would run as formulas', () => {
    const text = progressCsv({
      steps: ['1a'],
      students: [{ ...base, externalId: '=HYPERLINK("http://x")', displayName: 'Lopes, "Ana"\nB', failureReason: '+1', endReason: '@x' }],
    });
    const [, row] = parse(text.slice(1));
    expect(row.slice(0, 6)).toEqual(['\'=HYPERLINK("http://x")', 'Lopes, "Ana"\nB', 'l1', 'ready', "'@x", "'+1"]);
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('plain')).toBe('plain');
  });

  it('adds grade columns only when some student has a grade post (LTI grade passback)', () => {
    const withGrades = progressCsv({
      steps: ['1a'],
      students: [
        { ...base, grade: { status: 'sent', scoreGiven: 1, scoreMaximum: 9 } },
        { ...base, externalId: 'ben', grade: { status: 'failed', scoreGiven: null, scoreMaximum: 9, error: 'role cannot be graded' } },
        { ...base, externalId: 'cleo', grade: null },
      ],
    });
    const rows = parse(withGrades.slice(1));
    expect(rows[0].slice(-3)).toEqual(['gradeStatus', 'gradeScore', 'gradeError']);
    expect(rows.slice(1).map((r) => r.slice(-3))).toEqual([
      ['sent', '1/9', ''],
      ['failed', '', 'role cannot be graded'],
      ['', '', ''],
    ]);
    expect(parse(progressCsv({ steps: ['1a'], students: [base] }).slice(1))[0]).not.toContain('gradeStatus');
    expect(parse(progressCsv({ steps: ['1a'], students: [{ ...base, grade: null }] }).slice(1))[0]).not.toContain('gradeStatus');
  });

  it('names cells as the grid does and files after the class', () => {
    expect([cellState('passed', 'own-work'), cellState('passed', undefined), cellState('passed', 'solution'), cellState('failed', undefined), cellState(undefined, undefined)]).toEqual([
      'own-work',
      'own-work',
      'solution',
      'failed',
      'pending',
    ]);
    expect(csvFileName('RT2 groupe A — réseau')).toBe('RT2-groupe-A-reseau-progress.csv');
    expect(csvFileName('"; rm -rf /')).toBe('rm--rf-progress.csv');
    expect(csvFileName('***')).toBe('class-progress.csv');
  });
});
