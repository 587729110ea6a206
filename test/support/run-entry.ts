import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs an entry point of dist/ with an environment, until it exits (start-up refusals). */
export function runEntry(script: string, env: Record<string, string>): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: process.env.DATABASE_URL, ADMIN_TOKEN: 'a'.repeat(32), ...env },
    timeout: 60_000,
    encoding: 'utf8',
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Every log a TestStack's processes wrote (test-artifacts/<name>-<runId>.log), joined. */
export function stackLogs(runId: string): string {
  const dir = path.join(ROOT, 'test-artifacts');
  return readdirSync(dir)
    .filter((name) => name.endsWith(`-${runId}.log`))
    .map((name) => readFileSync(path.join(dir, name), 'utf8'))
    .join('\n');
}

/** A stack's /health names the host, and neither it nor any log of the run shows the private key. */
export async function expectNoKeyShown(apiUrl: string, runId: string, hostId: string, key: string): Promise<void> {
  const keyBody = key.split('\n')[1];
  const health = await fetch(`${apiUrl}/health`).then((r) => r.text());
  expect(health).toContain(`"${hostId}"`);
  const logs = stackLogs(runId);
  expect(logs.length).toBeGreaterThan(0);
  for (const shown of [health, logs]) {
    expect(shown).not.toContain('PRIVATE KEY');
    expect(shown).not.toContain(keyBody);
  }
}
