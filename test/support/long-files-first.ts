import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * End-to-end files that take minutes, longest first. On a fresh clone vitest knows no file's
 * duration and starts the larger files first: `faults-workers` (short to read, 4 to 13 minutes
 * to run) started last and its end was the parallel group's (CI on a new machine, 2026-11-28:
 * 35 min in all, 11 of them in that file).
 */
export const LONG_FILES = [
  'test/faults-workers.e2e-spec.ts',
  'test/isolation.e2e-spec.ts',
  'test/student-console.e2e-spec.ts',
  'test/gateway-escape.e2e-spec.ts',
];

/** Vitest's own order (groups, then failed and longer files first once it knows them), with LONG_FILES moved to the front of their project. */
export class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const projectStart = new Map<string, number>();
    sorted.forEach((file, index) => projectStart.set(file.project.name, projectStart.get(file.project.name) ?? index));
    const rank = (file: TestSpecification) => {
      const at = LONG_FILES.findIndex((name) => file.moduleId.endsWith(name));
      return at === -1 ? LONG_FILES.length : at;
    };
    return sorted
      .map((file, index) => ({ file, index }))
      .sort((a, b) => projectStart.get(a.file.project.name)! - projectStart.get(b.file.project.name)! || rank(a.file) - rank(b.file) || a.index - b.index)
      .map(({ file }) => file);
  }
}
