/** Who is calling: the instructor/LMS (ADMIN_TOKEN) or one student, who may open only their lab. */
export type Actor = { kind: 'admin' } | { kind: 'student'; labId: string };

export function describeActor(actor: Actor): string {
  return actor.kind === 'admin' ? 'admin' : `student:${actor.labId}`;
}
