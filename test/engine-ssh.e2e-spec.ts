/**
 * A Docker host reached over SSH (`ssh://` in DOCKER_HOSTS, libs/config/engine-access.ts): an
 * sshd of the test's own on 127.0.0.1 (infra/ssh-host.sh: its own host key, a client key that
 * may only run `docker system dial-stdio`, as the user netlabs-ssh of the docker group) in
 * front of this machine's engine. NetLabs, with that host alone, places a lab there, verifies
 * a step, deletes it and leaves nothing; every engine call went through sshd. The same host
 * with another host key pinned stops start-up saying so, without printing a key.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoKeyShown, runEntry } from './support/run-entry';
import { dockerObjects, freePort, TestStack } from './support/stack';
import { waitFor } from './support/wait-for';
import { expectStep2aRunsAndPasses } from './support/step-2a';

const ROOT = path.resolve(__dirname, '..');
// sshd reads the authorized keys as netlabs-ssh: a folder of its own that user may enter.
const sshdDir = mkdtempSync(path.join(tmpdir(), 'nl-engine-ssh-'));
const work = mkdtempSync(path.join(tmpdir(), 'nl-engine-ssh-certs-'));
const certDir = path.join(work, 'docker-certs'); // DOCKER_CERT_DIR
let port = 0;

/** A DOCKER_CERT_DIR folder for host `s`: our client key and `hostKeyPub` pinned. */
function certFolder(dir: string, hostKeyPub: string): string {
  mkdirSync(path.join(dir, 's'), { recursive: true, mode: 0o700 });
  copyFileSync(path.join(sshdDir, 'client-key'), path.join(dir, 's', 'ssh-key'));
  copyFileSync(hostKeyPub, path.join(dir, 's', 'ssh-host-key.pub'));
  return dir;
}

const sshdLog = () => readFileSync(path.join(sshdDir, 'sshd.log'), 'utf8');

beforeAll(async () => {
  port = await freePort();
  execFileSync('bash', ['infra/ssh-host.sh', 'start', sshdDir, String(port)], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
  certFolder(certDir, path.join(sshdDir, 'host-key.pub'));
}, 300_000);

afterAll(() => {
  try {
    execFileSync('bash', ['infra/ssh-host.sh', 'stop', sshdDir], { cwd: ROOT, stdio: 'pipe' });
  } finally {
    rmSync(sshdDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
});

describe('a Docker host over SSH (sshd on 127.0.0.1 in front of the local engine)', () => {
  let stack: TestStack;
  const endpoint = () => `ssh://netlabs-ssh@127.0.0.1:${port}`;

  beforeAll(async () => {
    stack = new TestStack({ DOCKER_HOSTS: `s=${endpoint()}`, DOCKER_CERT_DIR: certDir, STEP_WAIT_MS: '120000' });
    await stack.start();
  }, 180_000);

  afterAll(() => stack?.stop(), 120_000);

  it('answers /health through sshd, with the pinned host key and the dial-stdio-only client key', async () => {
    const health = await fetch(`${stack.apiUrl}/health`).then((r) => r.json());
    expect(health.docker).toEqual({ s: { status: 'up' } });
    const log = sshdLog();
    expect(log).toMatch(/Accepted publickey for netlabs-ssh from 127\.0\.0\.1/);
    expect(log).toContain("forced-command (key-option) 'docker system dial-stdio' for netlabs-ssh");
  });

  it('places a lab on the ssh host, verifies a step, deletes it and leaves nothing', async () => {
    const sessionsBefore = (sshdLog().match(/Accepted publickey/g) ?? []).length;
    const created = await stack.createClassAndWait(['ssh-ana'], 'engine ssh');
    const lab = created.labs[0];
    const detail = await stack.request('GET', `/labs/${lab.id}`);
    expect(detail.body, JSON.stringify(detail.body)).toMatchObject({ status: 'ready', hostId: 's' });
    expect(dockerObjects('container', `label=netlabs.lab=${lab.id}`).length).toBeGreaterThan(0);

    // Step 2a: its check reads the engine (the httpd container, its published port), over SSH.
    await expectStep2aRunsAndPasses(stack, lab);
    // The worker and the API reached the engine through sshd (docker-modem opens a session per call).
    expect((sshdLog().match(/Accepted publickey/g) ?? []).length).toBeGreaterThan(sessionsBefore + 10);

    expect((await stack.request('DELETE', `/classes/${created.id}`)).status).toBe(202);
    const ended = await stack.waitForLabs(created.id, (status) => status === 'destroyed', 120_000);
    expect(ended.labs[0].leaked ?? null).toBeNull();
    await waitFor(
      'the engine to hold nothing of the run',
      () => [...dockerObjects('container', `label=netlabs.test=${stack.runId}`), ...dockerObjects('network', `label=netlabs.test=${stack.runId}`)].length === 0 || undefined,
      { timeoutMs: 60_000 },
    );
  });

  it('shows no key material in /health nor the logs', async () => {
    await expectNoKeyShown(stack.apiUrl, stack.runId, 's', readFileSync(path.join(sshdDir, 'client-key'), 'utf8'));
  });
});

describe('an ssh:// host whose sshd does not present the pinned host key', () => {
  it('stops the API at start, saying the host key is not the pinned one, printing no key', () => {
    const other = path.join(work, 'other-host-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'another-machine', '-f', other]);
    const wrongPin = certFolder(path.join(work, 'wrong-pin'), `${other}.pub`);
    const count = (pattern: RegExp) => (sshdLog().match(pattern) ?? []).length;
    const [hungUpBefore, acceptedBefore] = [count(/Connection closed by 127\.0\.0\.1 port \d+ \[preauth\]|Received disconnect from 127\.0\.0\.1 port \d+:\d+: .*\[preauth\]/g), count(/Accepted publickey/g)];
    const { code, output } = runEntry('dist/apps/api/main.js', { DOCKER_HOSTS: `s=ssh://netlabs-ssh@127.0.0.1:${port}`, DOCKER_CERT_DIR: wrongPin });
    expect(code, output).toBe(1);
    expect(output).toContain('NetLabs API cannot start, a dependency does not answer');
    expect(output).toContain(
      'Docker (DOCKER_HOSTS): s: Docker host s does not answer: the SSH host key it presented is not the one pinned in its ssh-host-key.pub (DOCKER_CERT_DIR/<id>/): another machine answers at that address, or the host key changed',
    );
    expect(output).not.toContain('PRIVATE KEY');
    expect(output).not.toContain(readFileSync(path.join(sshdDir, 'client-key'), 'utf8').split('\n')[1]);
    expect(output).not.toMatch(/\n\s+at /); // a message, not a stack trace
    // NetLabs hung up during the key exchange, before authenticating: its key never reached that machine.
    expect(count(/Connection closed by 127\.0\.0\.1 port \d+ \[preauth\]|Received disconnect from 127\.0\.0\.1 port \d+:\d+: .*\[preauth\]/g)).toBeGreaterThan(hungUpBefore);
    expect(count(/Accepted publickey/g)).toBe(acceptedBefore);
  }, 90_000);
});
