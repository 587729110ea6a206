import { z } from 'zod';
import { LANGUAGES, RUN_POLICIES } from './class-settings';

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
    /** Who may run a step's reference solution (class-settings.ts). */
    runPolicy: z.enum(RUN_POLICIES, { errorMap: () => ({ message: `must be one of ${RUN_POLICIES.join(', ')}` }) }).optional(),
    runAfterFailures: z.number({ invalid_type_error: 'must be a whole number' }).int('must be a whole number').min(0).max(100).optional(),
    /** The labs' language; a student may override it per request (?lang=). */
    language: z.enum(LANGUAGES, { errorMap: () => ({ message: `must be one of ${LANGUAGES.join(', ')}` }) }).optional(),
    /**
     * When the class starts (ISO 8601): its labs are provisioned WARM_AHEAD_MINUTES before,
     * and their expiry and idle clocks start then. At most 30 days ahead.
     */
    startsAt: z
      .string()
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-12-01T08:00:00+01:00' })
      .refine((at) => Date.parse(at) <= Date.now() + 30 * 24 * 3600_000, 'must be at most 30 days ahead')
      .optional(),
  })
  .superRefine((body, ctx) => {
    if (body.runAfterFailures !== undefined && body.runPolicy !== undefined && body.runPolicy !== 'after-failures') {
      ctx.addIssue({ code: 'custom', path: ['runAfterFailures'], message: `only applies with runPolicy "after-failures", not "${body.runPolicy}"` });
    }
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

/** Students arriving in a live class (POST /classes/:id/students). */
export const addStudentsSchema = z
  .object({
    students: z.array(student, { required_error: 'is required' }).min(1, 'must list at least one student').max(500, 'at most 500 students at once'),
  })
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    body.students.forEach((s, index) => {
      const first = seen.get(s.externalId);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['students', index, 'externalId'], message: `duplicate "${s.externalId}" (also students[${first}])` });
      else seen.set(s.externalId, index);
    });
  });

export type AddStudentsBody = z.infer<typeof addStudentsSchema>;
