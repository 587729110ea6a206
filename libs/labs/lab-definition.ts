import { z } from 'zod';
import { actionSchema } from './actions/action-registry';
import { answerSpecSchema } from './answers/answer-spec';
import { checkSchema } from './checks/check-registry';
import { isPlaceholder, PLACEHOLDER_NAMES, placeholdersIn } from './lab-templates';
import { localizedSchema } from './lang';

/**
 * The lab-definition format: a lab is data (steps, instructions, solution actions, checks),
 * validated when loaded so a bad definition stops start-up with the field that is wrong.
 */

const localized = localizedSchema;
export type { Lang, Localized } from './lang';
export { LANGS } from './lang';

const stepSchema = z
  .object({
    /** The TP's id: `1a` ... `3c`. */
    id: z.string().regex(/^\d+[a-z]$/, 'must be a step id such as 1a'),
    title: localized,
    /** Markdown templates with `{{placeholders}}` (lab-templates.ts). */
    instructions: localized,
    kind: z.enum(['task', 'question']),
    /** Question steps: how the student's answer is read and which live fact it is compared with. */
    answer: answerSpecSchema.optional(),
    /** The reference solution the worker runs on `POST .../run`, in order. */
    solution: z.array(actionSchema).min(1),
    /** What `POST .../verify` checks, all of them, in this order. */
    checks: z.array(checkSchema).min(1),
  })
  .strict()
  .superRefine((step, ctx) => {
    const answerChecks = step.checks.flatMap((c, i) => (c.type === 'answer' ? [i] : []));
    if (step.kind === 'question' && !step.answer) ctx.addIssue({ code: 'custom', path: ['answer'], message: 'a question step needs an answer spec' });
    if (step.kind === 'task' && step.answer) ctx.addIssue({ code: 'custom', path: ['answer'], message: 'only question steps take an answer' });
    if (step.answer && !answerChecks.length) ctx.addIssue({ code: 'custom', path: ['checks'], message: 'a question step needs an answer check' });
    if (!step.answer) {
      for (const i of answerChecks) ctx.addIssue({ code: 'custom', path: ['checks', i, 'type'], message: 'an answer check needs the step to have an answer spec' });
    }
  });

const definitionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes'),
    title: localized,
    /** Shown before the steps. */
    intro: localized.optional(),
    /** The TP's container names students may open terminals into. */
    terminalContainers: z.array(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a container name')).min(1),
    steps: z.array(stepSchema).min(1),
  })
  .strict()
  .superRefine((definition, ctx) => {
    const seen = new Set<string>();
    definition.steps.forEach((step, i) => {
      if (seen.has(step.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${step.id}"` });
      seen.add(step.id);
    });
    for (const { path, text } of strings(definition, [])) {
      for (const name of placeholdersIn(text)) {
        if (!isPlaceholder(name)) {
          ctx.addIssue({ code: 'custom', path, message: `unknown placeholder {{${name}}} (known: ${PLACEHOLDER_NAMES.join(', ')})` });
        }
      }
    }
  });

export type LabDefinition = z.infer<typeof definitionSchema>;
export type LabStep = LabDefinition['steps'][number];

/** Every string of a parsed definition with its path, to find placeholders wherever they are. */
function* strings(value: unknown, path: (string | number)[]): Generator<{ path: (string | number)[]; text: string }> {
  if (typeof value === 'string') yield { path, text: value };
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, [...path, i]);
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) yield* strings(item, [...path, key]);
}

/** `['steps', 3, 'checks', 0, 'type']` -> `steps[3].checks[0].type`. */
export function formatPath(path: (string | number)[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '') || '(definition)';
}

/** A definition that does not load; `problems` are `path: message` lines. */
export class LabDefinitionError extends Error {
  constructor(
    readonly definitionId: string | undefined,
    readonly problems: string[],
  ) {
    super(`invalid lab definition${definitionId ? ` "${definitionId}"` : ''}: ${problems.join('; ')}`);
  }
}

/** Validates a definition (from a TS module or parsed JSON); throws LabDefinitionError naming each bad field. */
export function loadLabDefinition(raw: unknown): LabDefinition {
  const parsed = definitionSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined;
    throw new LabDefinitionError(id, parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  }
  return deepFreeze(parsed.data);
}

/** Definitions are shared by every job of the process: nothing may change one in place. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

export function findStep(definition: LabDefinition, stepId: string): LabStep | undefined {
  return definition.steps.find((s) => s.id === stepId);
}
