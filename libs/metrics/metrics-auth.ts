import { createHash, timingSafeEqual } from 'node:crypto';

/** Is `authorization` exactly `Bearer <adminToken>`? Compared in constant time. */
export function isAdminBearer(authorization: string | undefined, adminToken: string): boolean {
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!presented) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(adminToken));
}
