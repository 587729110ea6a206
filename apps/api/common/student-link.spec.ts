import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../libs/config/app-config';
import { studentLabUrl } from './student-link';

const LAB = '0b6c2f0e-7a8e-4b59-9a55-2b1f6f1f3c11';

describe('studentLabUrl', () => {
  it('opens the lab page with the token in the fragment, on PUBLIC_URL', () => {
    const sut = studentLabUrl({ PUBLIC_URL: 'https://labs.example.org/', LAB_PUBLIC_HOST: 'x', PORT: 3000 }, LAB, 'nls_a-b_c');
    expect(sut).toBe(`https://labs.example.org/labs/${LAB}/page#token=nls_a-b_c`);
  });

  it('defaults to http://<LAB_PUBLIC_HOST>:<PORT>, brackets around IPv6', () => {
    expect(studentLabUrl({ LAB_PUBLIC_HOST: '192.0.2.7', PORT: 8080 }, LAB, 't')).toBe(`http://192.0.2.7:8080/labs/${LAB}/page#token=t`);
    expect(studentLabUrl({ LAB_PUBLIC_HOST: '2001:db8::1', PORT: 80 }, LAB, 't')).toBe(`http://[2001:db8::1]:80/labs/${LAB}/page#token=t`);
  });
});

describe('PUBLIC_URL', () => {
  it('must be an origin: the page reads its lab from the path', () => {
    const env = { ADMIN_TOKEN: 'x'.repeat(16) };
    expect(loadConfig({ ...env, PUBLIC_URL: 'https://labs.example.org:8443' }).PUBLIC_URL).toBe('https://labs.example.org:8443');
    expect(() => loadConfig({ ...env, PUBLIC_URL: 'https://labs.example.org/netlabs' })).toThrow(/PUBLIC_URL: must be an http\(s\) origin/);
    expect(() => loadConfig({ ...env, PUBLIC_URL: 'ftp://labs.example.org' })).toThrow(/PUBLIC_URL/);
  });
});
