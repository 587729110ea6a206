import { z } from 'zod';

const student = z.object({
  externalId: z.string({ required_error: 'is required' }).trim().min(1, 'must not be empty').max(200),
  displayName: z.string().trim().max(200).optional(),
});

export const createClassSchema = z
  .object({
    name: z.string({ required_error: 'is required' }).trim().min(1, 'must not be empty').max(200),
    labDefinitionId: z.string({ required_error: 'is required' }).min(1, 'must not be empty'),
    students: z.array(student, { required_error: 'is required' }).min(1, 'must list at least one student').max(500, 'at most 500 students per class'),
    /** Lifetime of each lab, in minutes (default 4 h). */
    labTtlMinutes: z.number().int().min(5).max(7 * 24 * 60).optional(),
    /** Idle time after which a lab is torn down, in minutes (default 60). */
    idleMinutes: z.number().int().min(5).max(7 * 24 * 60).optional(),
  })
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    body.students.forEach((s, index) => {
      const first = seen.get(s.externalId);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['students', index, 'externalId'], message: `duplicate "${s.externalId}" (also students[${first}])` });
      } else {
        seen.set(s.externalId, index);
      }
    });
  });

export type CreateClassBody = z.infer<typeof createClassSchema>;
