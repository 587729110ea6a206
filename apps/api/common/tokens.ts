import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new student token: 32 random bytes, shown once, stored only as its hash. */
export function newStudentToken(): string {
  return `nls_${randomBytes(32).toString('base64url')}`;
}

/** A new instructor-dashboard token (one class): same strength, told apart from students' by its prefix. */
export function newInstructorToken(): string {
  return `${INSTRUCTOR_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export const INSTRUCTOR_TOKEN_PREFIX = 'nli_';

/** Tokens carry 256 bits of entropy, so a plain SHA-256 is enough (no password stretching needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

export function newLabPrefix(): string {
  return `nl-${randomBytes(4).toString('hex')}`;
}
