import { describe, expect, it } from 'vitest';
import { cookieValue, isValidAdminSession, newAdminSession, sessionCookie } from './admin-session';

const TOKEN = 'admin-token-0123456789abcdef';

describe('admin session cookie', () => {
  it('is valid until it expires, and only for the token that made it', () => {
    const sut = newAdminSession(TOKEN, 30, 1_000_000);
    expect(isValidAdminSession(sut.value, TOKEN, 1_000_000 + 29 * 60_000)).toBe(true);
    expect(isValidAdminSession(sut.value, TOKEN, 1_000_000 + 30 * 60_000)).toBe(false);
    expect(isValidAdminSession(sut.value, `${TOKEN}-rotated`, 1_000_001)).toBe(false);
  });

  it('refuses a moved expiry, a forged mac and garbage', () => {
    const { value } = newAdminSession(TOKEN, 30, 1_000_000);
    const [expires, mac] = value.split('.');
    expect(isValidAdminSession(`${Number(expires) + 1}.${mac}`, TOKEN, 1_000_000)).toBe(false);
    expect(isValidAdminSession(`${expires}.${'A'.repeat(43)}`, TOKEN, 1_000_000)).toBe(false);
    expect(isValidAdminSession(undefined, TOKEN)).toBe(false);
    expect(isValidAdminSession('x', TOKEN)).toBe(false);
  });

  it('never carries the token, and is HttpOnly, SameSite=Strict, on /admin', () => {
    const { value, maxAgeSeconds } = newAdminSession(TOKEN, 30);
    const sut = sessionCookie(value, maxAgeSeconds, true);
    expect(sut).not.toContain(TOKEN);
    expect(sut).toMatch(/; Path=\/admin; Max-Age=1800; HttpOnly; SameSite=Strict; Secure$/);
    expect(cookieValue(`a=1; netlabs_admin=${value}; b=2`, 'netlabs_admin')).toBe(value);
  });
});
