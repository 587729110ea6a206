import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The admin cookie of the queue board: `<expiry ms>.<HMAC>`, keyed by a hash of
 * ADMIN_TOKEN (a new token ends every session), never the token itself. HttpOnly (no
 * script reads it), SameSite=Strict (no other site's page can make the browser send it,
 * so the board's buttons cannot be triggered cross-site), Path=/admin.
 */
export const ADMIN_COOKIE = 'netlabs_admin';

const keyOf = (adminToken: string): Buffer => createHash('sha256').update(`netlabs-admin-session:${adminToken}`).digest();
const mac = (adminToken: string, expires: number): string => createHmac('sha256', keyOf(adminToken)).update(`admin-session:${expires}`).digest('base64url');

export function newAdminSession(adminToken: string, minutes: number, now = Date.now()): { value: string; maxAgeSeconds: number } {
  const expires = now + minutes * 60_000;
  return { value: `${expires}.${mac(adminToken, expires)}`, maxAgeSeconds: minutes * 60 };
}

export function isValidAdminSession(value: string | undefined, adminToken: string, now = Date.now()): boolean {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!match) return false;
  const expires = Number(match[1]);
  if (expires <= now) return false;
  const expected = Buffer.from(mac(adminToken, expires));
  const presented = Buffer.from(match[2]);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${ADMIN_COOKIE}=${value}`, 'Path=/admin', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}
