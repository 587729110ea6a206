import { NotFoundException } from '@nestjs/common';
import type { Actor } from './actor';

/**
 * A student may only touch their own lab; an instructor only the labs of their class, and
 * only where the caller knows the lab's class (`labClassId`): without it an instructor is
 * refused. Another lab answers 404, the same as an unknown one, so a token cannot be used
 * to probe which lab ids exist.
 */
export function requireLabAccess(actor: Actor, labId: string, labClassId?: string): void {
  if (actor.kind === 'admin') return;
  if (actor.kind === 'student' ? actor.labId === labId : labClassId !== undefined && actor.classId === labClassId) return;
  throw new NotFoundException(`lab ${labId} not found`);
}

/** Only the admin and the instructors of this class may see it; others get 404, as for an unknown class. */
export function requireClassAccess(actor: Actor, classId: string): void {
  if (actor.kind === 'admin' || (actor.kind === 'instructor' && actor.classId === classId)) return;
  throw new NotFoundException(`class ${classId} not found`);
}
