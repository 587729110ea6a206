import { z } from 'zod';

/** `answer` is checked against the step's definition by the lab runner; here only its outer shape. */
export const verifyStepSchema = z
  .object({ answer: z.union([z.string().max(2000), z.array(z.string().max(200)).max(50)]).optional() })
  .strict();
export type VerifyStepBody = z.infer<typeof verifyStepSchema>;

export const runStepSchema = z.object({}).strict();

export const langSchema = z.enum(['fr', 'en']).catch('fr');
