import { NotFoundException } from '@nestjs/common';
import type { Actor } from './actor';

/**
 * A student may only touch their own lab. Another lab answers 404, the same as an
 * unknown one, so a token cannot be used to probe which lab ids exist.
 */
export function requireLabAccess(actor: Actor, labId: string): void {
  if (actor.kind === 'student' && actor.labId !== labId) throw new NotFoundException(`lab ${labId} not found`);
}
