import { describe, expect, it } from 'vitest';
import { openKey, sealKey } from './key-sealing';

describe('key sealing', () => {
  it('opens what it sealed with the same secret only, and detects tampering', () => {
    const sealed = sealKey('secret-one-0123456789', '-----BEGIN PRIVATE KEY-----\nabc\n');
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(openKey('secret-one-0123456789', sealed)).toBe('-----BEGIN PRIVATE KEY-----\nabc\n');
    expect(() => openKey('secret-two-0123456789', sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('xyz').toString('base64url');
    expect(() => openKey('secret-one-0123456789', parts.join('.'))).toThrow();
  });
});
