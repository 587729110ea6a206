import type { LabSnapshot } from '../../../libs/persistence/lab.repository';

/**
 * Who is calling: the instructor/LMS (ADMIN_TOKEN), an instructor of one class (a dashboard
 * link, InstructorSession), or one student, who may open only their lab. `lab`: that lab as
 * it was read with the student's token, in the same query (run and verify use it instead of
 * reading the lab again).
 */
export type Actor = { kind: 'admin' } | { kind: 'instructor'; classId: string } | { kind: 'student'; labId: string; lab?: LabSnapshot };

export function describeActor(actor: Actor): string {
  if (actor.kind === 'admin') return 'admin';
  return actor.kind === 'instructor' ? `instructor:${actor.classId}` : `student:${actor.labId}`;
}
