import { execFileSync } from 'node:child_process';
import { Pool } from 'pg';

/**
 * Runs once before the e2e files. The stack itself (engine, images, Postgres, Redis,
 * migrations) is prepared by infra/test.sh; this only fails fast, with a clear message,
 * when something is missing.
 */
export default async function globalSetup(): Promise<void> {
  // Both e2e projects (vitest.config.mts) name this file: the first one runs it, once per vitest run.
  if (process.env.NETLABS_E2E_GLOBAL_SETUP === '1') return;
  process.env.NETLABS_E2E_GLOBAL_SETUP = '1';
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 10_000 });
  } catch {
    throw new Error('No Docker engine answers on /var/run/docker.sock: run `bash infra/engine.sh` (or `npm test`).');
  }
  await endStaleTestLabs();
  // Several test runs may share one engine while developing (each with its own database,
  // subnet pool and port range): TEST_SHARED_ENGINE=1 leaves the other runs' objects alone.
  if (process.env.TEST_SHARED_ENGINE !== '1') sweepEarlierTestObjects();
  for (const name of ['LAB_IMAGE_HTTPD', 'LAB_IMAGE_UBUNTU', 'TEST_IMAGE_BUSYBOX']) {
    const image = process.env[name];
    if (!image) continue;
    try {
      execFileSync('docker', ['image', 'inspect', image], { stdio: 'pipe', timeout: 10_000 });
    } catch {
      throw new Error(`Image ${image} (${name}) is missing: run \`bash infra/images.sh\` (or \`npm test\`).`);
    }
  }
}

/**
 * Labs a crashed earlier run left "live" in the test database would be adopted by the
 * reconcilers of this run (they repair what the database says is live). End those that
 * are left: the test database belongs to one test run at a time.
 */
async function endStaleTestLabs(): Promise<void> {
  const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  try {
    await db.query(`delete from "Allocation" where "labId" in (select id from "Lab" where status <> 'destroyed')`);
    await db.query(`update "Lab" set status = 'destroyed', "endReason" = 'deleted', "destroyedAt" = now() where status <> 'destroyed'`);
  } finally {
    await db.end();
  }
}

/** Containers, networks and images an earlier, interrupted test run left (every test object carries netlabs.test). */
function sweepEarlierTestObjects(): void {
  const list = (args: string[]) => execFileSync('docker', args).toString().split('\n').filter(Boolean);
  const containers = list(['ps', '-aq', '--filter', 'label=netlabs.test']);
  if (containers.length) execFileSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' });
  const networks = list(['network', 'ls', '-q', '--filter', 'label=netlabs.test']);
  // A network engine 20.10 refuses to remove ("active endpoints", no container) until it restarts must not stop every run.
  for (const network of networks) {
    try {
      execFileSync('docker', ['network', 'rm', network], { stdio: 'pipe' });
    } catch (error) {
      console.warn(`network ${network} of an earlier run left on the engine: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
    }
  }
  const images = list(['images', '-q', '--filter', 'label=netlabs.test']);
  if (images.length) execFileSync('docker', ['rmi', '-f', ...new Set(images)], { stdio: 'ignore' });
}
