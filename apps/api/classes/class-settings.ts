/**
 * A class's settings that shape what its students may do: who may run a step's reference
 * solution, and the labs' language. Stored as plain columns of Class; read through here.
 */

/**
 * - `off`: only instructors run solutions.
 * - `after-failures`: a student may run a step after `runAfterFailures` failed verifies of it
 *   (the default, with 3: enough tries to have really been stuck, few enough not to give up).
 * - `always`: students run any step whenever they like.
 * A verify that passes after a run of its step (since the last reset) counts as passed with
 * the solution, whoever ran it.
 */
export const RUN_POLICIES = ['off', 'after-failures', 'always'] as const;
export type RunPolicy = (typeof RUN_POLICIES)[number];

export const LANGUAGES = ['fr', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface ClassSettings {
  runPolicy: RunPolicy;
  runAfterFailures: number;
  language: Language;
}

export const DEFAULT_CLASS_SETTINGS: ClassSettings = { runPolicy: 'after-failures', runAfterFailures: 3, language: 'fr' };

/** The settings of a stored class; a value this version does not know falls back to its default. */
export function classSettings(row: { runPolicy: string; runAfterFailures: number; language: string }): ClassSettings {
  return {
    runPolicy: (RUN_POLICIES as readonly string[]).includes(row.runPolicy) ? (row.runPolicy as RunPolicy) : DEFAULT_CLASS_SETTINGS.runPolicy,
    runAfterFailures: row.runAfterFailures,
    language: (LANGUAGES as readonly string[]).includes(row.language) ? (row.language as Language) : DEFAULT_CLASS_SETTINGS.language,
  };
}

/** Null when a student may run the step's solution now, else why not (for a 403). */
export function studentRunRefusal(settings: ClassSettings, stepId: string, failedVerifies: number): string | null {
  switch (settings.runPolicy) {
    case 'always':
      return null;
    case 'off':
      return `running the solution of a step is for instructors in this class; verify your own work on step ${stepId}`;
    case 'after-failures': {
      const left = settings.runAfterFailures - failedVerifies;
      return left <= 0
        ? null
        : `the solution of step ${stepId} opens after ${settings.runAfterFailures} failed verifies of it; ${left} more to go`;
    }
  }
}

/** Whether a student may run the step now (the page shows its Run button accordingly). */
export function studentMayRun(settings: ClassSettings, failedVerifies: number): boolean {
  return studentRunRefusal(settings, '', failedVerifies) === null;
}
