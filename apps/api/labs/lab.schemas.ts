import { z } from 'zod';

/** `answer` is checked against the step's definition by the lab runner; here only its outer shape. */
export const verifyStepSchema = z
  .object({ answer: z.union([z.string().max(2000), z.array(z.string().max(200)).max(50)]).optional() })
  .strict();
export type VerifyStepBody = z.infer<typeof verifyStepSchema>;

export const runStepSchema = z.object({}).strict();

/** `?lang=`: the student's language for this request; anything else means the class's language. */
export const langSchema = z.enum(['fr', 'en']).optional().catch(undefined);

/**
 * `replay`: run the passed steps again on the fresh lab. `clearProgress` (instructors only):
 * start over, every step pending and no attempt counted; the two exclude each other.
 */
export const resetLabSchema = z
  .object({ replay: z.boolean().default(false), clearProgress: z.boolean().default(false) })
  .strict()
  .superRefine((body, ctx) => {
    if (body.replay && body.clearProgress) ctx.addIssue({ code: 'custom', path: ['clearProgress'], message: 'cannot be combined with replay (nothing would be left to replay)' });
  });
export type ResetLabBody = z.infer<typeof resetLabSchema>;

export const extendSchema = z.object({ minutes: z.number({ required_error: 'is required' }).int().min(1).max(7 * 24 * 60) }).strict();
export type ExtendBody = z.infer<typeof extendSchema>;
