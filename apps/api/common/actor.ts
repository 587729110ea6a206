/**
 * Who is calling: the instructor/LMS (ADMIN_TOKEN), an instructor of one class (a dashboard
 * link, InstructorSession), or one student, who may open only their lab.
 */
export type Actor = { kind: 'admin' } | { kind: 'instructor'; classId: string } | { kind: 'student'; labId: string };

export function describeActor(actor: Actor): string {
  if (actor.kind === 'admin') return 'admin';
  return actor.kind === 'instructor' ? `instructor:${actor.classId}` : `student:${actor.labId}`;
}
