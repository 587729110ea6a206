import type { TestSpecification, Vitest } from 'vitest/node';
import { describe, expect, it } from 'vitest';
import { LongFilesFirst } from './long-files-first';

/** What the base sequencer reads: no durations or sizes known (a fresh clone). */
const freshClone = { config: { root: '/repo' }, cache: { getFileTestResults: () => undefined, getFileStats: () => undefined } } as unknown as Vitest;

function spec(project: string, groupOrder: number, file: string): TestSpecification {
  return { moduleId: `/repo/${file}`, project: { name: project, config: { sequence: { groupOrder }, isolate: true } } } as unknown as TestSpecification;
}

describe('LongFilesFirst', () => {
  it('moves the long files to the front of their own project, keeps the groups in order and the rest as vitest had it', async () => {
    const files = [
      spec('e2e-serial', 2, 'test/faults-redis.e2e-spec.ts'),
      spec('e2e', 1, 'test/a.e2e-spec.ts'),
      spec('unit', 0, 'libs/x.spec.ts'),
      spec('e2e', 1, 'test/b.e2e-spec.ts'),
      spec('e2e', 1, 'test/isolation.e2e-spec.ts'),
      spec('e2e', 1, 'test/faults-workers.e2e-spec.ts'),
    ];
    const sorted = await new LongFilesFirst(freshClone).sort(files);
    expect(sorted.map((f) => `${f.project.name} ${f.moduleId.replace('/repo/', '')}`)).toEqual([
      'unit libs/x.spec.ts',
      'e2e test/faults-workers.e2e-spec.ts',
      'e2e test/isolation.e2e-spec.ts',
      'e2e test/a.e2e-spec.ts',
      'e2e test/b.e2e-spec.ts',
      'e2e-serial test/faults-redis.e2e-spec.ts',
    ]);
  });
});
