import { z } from 'zod';
import { FACT_NAMES } from './answer-facts';

/**
 * How a question step's answer is read and compared:
 * - cidr: a subnet, compared as a network (spaces ignored, a host address inside is refused);
 * - interface: an interface name, case ignored;
 * - name-list: names in any order (a string "bridge, host none" or an array);
 * - docker-option: a `docker network create` option key, with or without `-o`/`--opt` and `=value`;
 * - text: free text, case and spaces ignored.
 */
export const ANSWER_TYPES = ['cidr', 'interface', 'name-list', 'docker-option', 'text'] as const;
export type AnswerType = (typeof ANSWER_TYPES)[number];

export const answerSpecSchema = z
  .object({
    type: z.enum(ANSWER_TYPES),
    /** Which live fact of the lab the answer is compared with (answer-facts.ts). */
    fact: z.enum(FACT_NAMES),
  })
  .strict();

export type AnswerSpec = z.infer<typeof answerSpecSchema>;

const MAX_CHARS = 500;
const MAX_ITEMS = 50;

/**
 * Whether `answer` has the shape the step expects; a message for a 400 when not. Says
 * nothing about whether it is right: that is the answer check's job, on the live lab.
 */
export function answerShapeProblem(stepId: string, spec: AnswerSpec, answer: unknown): string | null {
  if (answer === undefined || answer === null || (typeof answer === 'string' && answer.trim() === '')) {
    return `answer is required for step ${stepId}`;
  }
  if (spec.type === 'name-list' && Array.isArray(answer)) {
    if (answer.length === 0) return `answer is required for step ${stepId}`;
    if (answer.length > MAX_ITEMS) return `answer must have at most ${MAX_ITEMS} names`;
    if (!answer.every((item) => typeof item === 'string')) return 'answer must be a string or an array of strings';
    if (answer.some((item: string) => item.length > MAX_CHARS)) return `answer must be at most ${MAX_CHARS} characters`;
    return null;
  }
  if (typeof answer !== 'string') {
    return spec.type === 'name-list' ? 'answer must be a string or an array of strings' : 'answer must be a string';
  }
  if (answer.length > MAX_CHARS) return `answer must be at most ${MAX_CHARS} characters`;
  return null;
}
