import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * infra/start.sh in a scratch directory, with setup and the two programs stubbed: what it
 * prints is what `npm start` leaves in a log that others may read.
 */
describe('infra/start.sh', () => {
  let dir: string;
  const tokenFile = () => path.join(dir, '.netlabs-admin-token');
  const start = (env: Record<string, string> = {}) => {
    const { ADMIN_TOKEN: _drop, ...rest } = process.env;
    // Its exit status is the stubs' business; what it printed, on either stream, is the point.
    const run = spawnSync('bash', [path.join(dir, 'infra/start.sh')], { env: { ...rest, ...env }, encoding: 'utf8', timeout: 20_000 });
    return `${run.stdout}${run.stderr}`;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'netlabs-start-'));
    mkdirSync(path.join(dir, 'infra'));
    copyFileSync(path.join(__dirname, 'start.sh'), path.join(dir, 'infra/start.sh'));
    writeFileSync(path.join(dir, 'infra/setup.sh'), 'exit 0\n');
    for (const app of ['api', 'worker']) {
      mkdirSync(path.join(dir, `dist/apps/${app}`), { recursive: true });
      // The programs get the token (they need it); they print only whether they did.
      writeFileSync(path.join(dir, `dist/apps/${app}/main.js`), `console.log('${app} has a token: ' + (process.env.ADMIN_TOKEN || '').length);\n`);
    }
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the token file (owner only), hands the token to the programs, and prints where it is, never the token', () => {
    const output = start();
    const token = readFileSync(tokenFile(), 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(output).not.toContain(token);
    expect(output).toContain(`kept in ${tokenFile()}`);
    expect(output).toMatch(/(api|worker) has a token: 48/);
  });

  it('tightens a token file readable by others, and still does not print it', () => {
    writeFileSync(tokenFile(), 'an-existing-token-0123456789abcdef\n');
    chmodSync(tokenFile(), 0o644);
    const output = start();
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(output).not.toContain('an-existing-token-0123456789abcdef');
  });

  it('does not print an ADMIN_TOKEN given in the environment', () => {
    const output = start({ ADMIN_TOKEN: 'from-the-environment-0123456789' });
    expect(output).not.toContain('from-the-environment-0123456789');
    expect(output).toMatch(/taken from the environment/);
  });
});
