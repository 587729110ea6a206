import { execFileSync } from 'node:child_process';

/**
 * Runs once before the e2e files. The stack itself (engine, images, Postgres, Redis,
 * migrations) is prepared by infra/test.sh; this only fails fast, with a clear message,
 * when something is missing.
 */
export default function globalSetup(): void {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 10_000 });
  } catch {
    throw new Error('No Docker engine answers on /var/run/docker.sock: run `bash infra/engine.sh` (or `npm test`).');
  }
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
