import type { LabSnapshot } from '../../../libs/persistence/lab.repository';

/**
 * Who is calling: the instructor/LMS (ADMIN_TOKEN) or one student, who may open only their
 * lab. `lab`: that lab as it was read with the token, in the same query (run and verify use
 * it instead of reading the lab again).
 */
export type Actor = { kind: 'admin' } | { kind: 'student'; labId: string; lab?: LabSnapshot };

export function describeActor(actor: Actor): string {
  return actor.kind === 'admin' ? 'admin' : `student:${actor.labId}`;
}
