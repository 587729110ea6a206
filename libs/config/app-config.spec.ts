import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config';

const base = { ADMIN_TOKEN: 'x'.repeat(16) };

describe('loadConfig', () => {
  it.each([
    [{}, '127.0.0.1'],
    [{ LAB_PUBLIC_HOST: '192.0.2.10' }, '192.0.2.10'],
    [{ LAB_PUBLIC_HOST: 'localhost' }, '127.0.0.1'],
    [{ LAB_PUBLIC_HOST: '[2001:db8::1]' }, '2001:db8::1'],
    [{ LAB_PUBLIC_HOST: 'labs.example.org' }, '0.0.0.0'],
    [{ LAB_PUBLIC_HOST: 'labs.example.org', LAB_PUBLISH_ADDRESS: '192.0.2.10' }, '192.0.2.10'],
  ])('publishes lab ports on the address %o -> %s', (env, expected) => {
    expect(loadConfig({ ...base, ...env }).LAB_PUBLISH_ADDRESS).toBe(expected);
  });

  it('refuses a publish address that is not an IP address, naming it', () => {
    expect(() => loadConfig({ ...base, LAB_PUBLISH_ADDRESS: 'everywhere' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, LAB_PUBLISH_ADDRESS: 'everywhere' })).toThrow(/LAB_PUBLISH_ADDRESS/);
  });

  it('has disk, log and pids-flag defaults', () => {
    expect(loadConfig(base)).toMatchObject({ LAB_DISK_MB: 1024, LAB_LOG_MB: 4, LAB_PIDS_FLAG_AFTER_MS: 120_000 });
  });

  it('reads LAB_LABELS, whose values must stay plain words (they are written into Dockerfiles)', () => {
    expect(loadConfig({ ...base, LAB_LABELS: 'netlabs.test=run-1, site=lyon/b2' }).LAB_LABELS).toEqual({ 'netlabs.test': 'run-1', site: 'lyon/b2' });
    for (const bad of ['site=', 'site=a=b', 'site=a b', 'site="x"', 'site=$HOME', "site=it's", 'Site=x']) {
      expect(() => loadConfig({ ...base, LAB_LABELS: bad }), bad).toThrow(/LAB_LABELS/);
    }
  });
});
