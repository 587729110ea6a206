import { describe, expect, it } from 'vitest';
import { classSettings, DEFAULT_CLASS_SETTINGS, studentMayRun, studentRunRefusal } from './class-settings';
import { createClassSchema } from './class.schemas';

const base = { name: 'c', labDefinitionId: 'docker-network', students: [{ externalId: 'a' }] };

describe('class settings', () => {
  it('refuses a student run by policy: off always, after-failures until N failed verifies, always never', () => {
    expect(studentRunRefusal({ ...DEFAULT_CLASS_SETTINGS, runPolicy: 'off' }, '1b', 99)).toMatch(/for instructors/);
    expect(studentRunRefusal({ ...DEFAULT_CLASS_SETTINGS, runPolicy: 'always' }, '1b', 0)).toBeNull();
    const after3 = { ...DEFAULT_CLASS_SETTINGS, runPolicy: 'after-failures' as const, runAfterFailures: 3 };
    expect(studentRunRefusal(after3, '1b', 2)).toBe('the solution of step 1b opens after 3 failed verifies of it; 1 more to go');
    expect(studentRunRefusal(after3, '1b', 3)).toBeNull();
    expect(studentMayRun(after3, 2)).toBe(false);
    expect(studentMayRun({ ...after3, runAfterFailures: 0 }, 0)).toBe(true);
  });

  it('defaults to after-failures with 3, in French', () => {
    expect(DEFAULT_CLASS_SETTINGS).toEqual({ runPolicy: 'after-failures', runAfterFailures: 3, language: 'fr' });
    expect(classSettings({ runPolicy: 'someday', runAfterFailures: 2, language: 'de' })).toEqual({ runPolicy: 'after-failures', runAfterFailures: 2, language: 'fr' });
  });

  it('validates the settings of POST /classes, naming the field', () => {
    expect(createClassSchema.safeParse({ ...base, runPolicy: 'always', language: 'en' }).success).toBe(true);
    const messages = (body: object) => {
      const parsed = createClassSchema.safeParse({ ...base, ...body });
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(messages({ runPolicy: 'sometimes' })).toEqual(['runPolicy: must be one of off, after-failures, always']);
    expect(messages({ language: 'de' })).toEqual(['language: must be one of fr, en']);
    expect(messages({ runAfterFailures: 2.5 })).toEqual(['runAfterFailures: must be a whole number']);
    expect(messages({ runAfterFailures: -1 })[0]).toMatch(/^runAfterFailures: /);
    expect(messages({ runPolicy: 'off', runAfterFailures: 2 })).toEqual(['runAfterFailures: only applies with runPolicy "after-failures", not "off"']);
  });
});
