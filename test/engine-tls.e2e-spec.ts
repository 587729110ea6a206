/**
 * A remote Docker host reachable only over mutual TLS (engine "c", infra/tls-engine.sh), with
 * certificates made by this test's own CA (openssl, infra/engine-certs.sh): the engine refuses
 * clients without a certificate or with one of another CA; NetLabs with DOCKER_HOSTS pointing
 * only at it (and DOCKER_CERT_DIR) places a class there, verifies a step, opens the console's
 * terminal and drives the lab's daemon from it, keeps labs fenced from the host's ports, and
 * leaves nothing behind. The consoles' lab daemon is the gateway-only process (apps/gateway) a
 * Docker host runs beside its engine (infra/engine-host.sh). A plain tcp:// host without DOCKER_INSECURE_HOSTS stops start-up.
 *
 * Engine c is stopped at the end (CI runs files one at a time; its data root stays, with the
 * lab images loaded, so the next start is quick).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerExec } from './support/docker-cli';
import { hostAddressesSeenFrom, hostReaches, reachedFrom } from './support/fence-probes';
import { expectNoKeyShown, runEntry } from './support/run-entry';
import { freePort, TestStack } from './support/stack';
import { TestTerminal } from './support/terminal-client';
import { waitFor } from './support/wait-for';
import { expectStep2aRunsAndPasses } from './support/step-2a';

const ROOT = path.resolve(__dirname, '..');
const work = mkdtempSync(path.join(tmpdir(), 'nl-engine-tls-'));
const caDir = path.join(work, 'ca'); // our CA, the engine's and NetLabs' certificates
const otherDir = path.join(work, 'other-ca'); // an unrelated CA, with a client certificate of its own
const certDir = path.join(work, 'docker-certs'); // DOCKER_CERT_DIR
let port = 0;

/** The docker CLI as a client of engine c holding our certificate. */
function C(...args: string[]): string {
  return execFileSync('docker', args, {
    env: { ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: caDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}
const ids = (out: string) => out.split('\n').filter(Boolean);

/** Removes whatever a run left on engine c (containers, networks, images of its test label). */
function sweepEngineC(runId: string): void {
  const label = `label=netlabs.test=${runId}`;
  const containers = ids(C('ps', '-aq', '--filter', label));
  if (containers.length) C('rm', '-f', ...containers);
  for (const network of ids(C('network', 'ls', '-q', '--filter', label))) {
    try {
      C('network', 'rm', network);
    } catch (error) {
      console.warn(`engine c: network ${network} left: ${String(error)}`);
    }
  }
  const images = ids(C('images', '-q', '--filter', label));
  if (images.length) C('rmi', '-f', ...new Set(images));
}

/** A GET /_ping over TLS with the given client identity; what came back, or the error. */
function ping(tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/_ping', ...tls, timeout: 10_000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode });
    });
    req.on('error', (error) => resolve({ error: error.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

beforeAll(() => {
  execFileSync('bash', ['infra/engine-certs.sh', caDir, '127.0.0.1', 'localhost'], { cwd: ROOT, stdio: 'pipe' });
  execFileSync('bash', ['infra/engine-certs.sh', otherDir, '127.0.0.1'], { cwd: ROOT, stdio: 'pipe' });
  mkdirSync(path.join(certDir, 'c'), { recursive: true });
  for (const file of ['ca.pem', 'cert.pem', 'key.pem']) copyFileSync(path.join(caDir, file), path.join(certDir, 'c', file));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('a Docker host over mutual TLS (engine c)', () => {
  const keyOf = () => readFileSync(path.join(caDir, 'key.pem'), 'utf8');
  let stack: TestStack;
  /** The lab daemon beside engine c (apps/gateway), serving the socket its consoles mount; the API serves another. */
  let labDaemon: ChildProcess | undefined;
  const consoleSocket = path.join(work, 'gw-consoles', 'gateway.sock');
  const gatewaySecret = randomBytes(24).toString('hex');
  /** The worker's metrics, on every address (IPv4 and IPv6), as a school's Prometheus scrapes it. */
  let metricsPort = 0;

  beforeAll(async () => {
    port = await freePort();
    metricsPort = await freePort();
    execFileSync('bash', ['infra/tls-engine.sh', 'start', caDir, String(port)], { cwd: ROOT, stdio: 'pipe', timeout: 600_000 });
    const engines = { DOCKER_HOSTS: `c=tcp://127.0.0.1:${port}`, DOCKER_CERT_DIR: certDir };
    stack = new TestStack(
      { ...engines, ALLOCATION_SCOPE: 'shared', STEP_WAIT_MS: '120000', GATEWAY_SECRET: gatewaySecret, GATEWAY_SOCKET: consoleSocket, WORKER_METRICS_PORT: String(metricsPort), WORKER_METRICS_HOST: '::' },
      { GATEWAY_SOCKET: path.join(work, 'gw-api', 'gateway.sock') },
    );
    await stack.start();
    // What infra/engine-host.sh runs on a Docker host: no ADMIN_TOKEN, no Redis, no port.
    const env: NodeJS.ProcessEnv = { ...process.env, ...engines, GATEWAY_SECRET: gatewaySecret, GATEWAY_SOCKET: consoleSocket, LAB_LABELS: `netlabs.test=${stack.runId}`, DEPLOYMENT_ID: `test-${stack.runId}` };
    delete env.ADMIN_TOKEN;
    delete env.REDIS_URL;
    labDaemon = spawn(process.execPath, ['dist/apps/gateway/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(path.join(ROOT, 'test-artifacts', `gateway-${stack.runId}.log`));
    labDaemon.stdout?.pipe(log);
    labDaemon.stderr?.pipe(log);
    await waitFor('the lab daemon socket', () => (labDaemon?.exitCode !== null ? 'exited' : existsSync(consoleSocket) && 'up'), { timeoutMs: 60_000 });
    expect(labDaemon.exitCode, 'the lab daemon exited: see test-artifacts/gateway-*.log').toBeNull();
  }, 900_000);

  afterAll(async () => {
    try {
      labDaemon?.kill('SIGTERM');
      await stack?.stop();
      if (port && stack) sweepEngineC(stack.runId);
    } finally {
      execFileSync('bash', ['infra/tls-engine.sh', 'stop'], { cwd: ROOT, stdio: 'pipe' });
    }
  }, 120_000);

  it('runs the lab daemon beside the engine with no network port of its own', () => {
    const listening = execFileSync('ss', ['-Hltnp']).toString().split('\n').filter((line) => line.includes(`pid=${labDaemon?.pid},`));
    expect(listening).toEqual([]);
    expect(existsSync(consoleSocket)).toBe(true);
  });

  it('listens only on 127.0.0.1:<port>, over TLS', () => {
    const pid = readFileSync('/var/run/netlabs-docker-c.pid', 'utf8').trim();
    const ofEngine = (args: string[]) => execFileSync('ss', args).toString().split('\n').filter((line) => line.includes(`pid=${pid},`));
    // TCP: 127.0.0.1:<port> and nothing else.
    const tcp = ofEngine(['-Hltnp']);
    expect(tcp).toHaveLength(1);
    expect(tcp[0]).toMatch(new RegExp(`\\s127\\.0\\.0\\.1:${port}\\s`));
    // Unix stream sockets: only under its own exec root (no /var/run/docker.sock of its own).
    for (const line of ofEngine(['-Hlxp']).filter((l) => l.startsWith('u_str'))) expect(line).toMatch(/\/var\/run\/netlabs-docker-c\//);
  });

  it('refuses a client with no certificate, or one signed by another CA; answers ours', async () => {
    const ca = readFileSync(path.join(caDir, 'ca.pem'));
    const none = await ping({ ca });
    expect(none.status).toBeUndefined();
    expect(none.error).toMatch(/certificate|alert|socket hang up|ECONNRESET/i);

    const foreign = await ping({ ca, cert: readFileSync(path.join(otherDir, 'cert.pem')), key: readFileSync(path.join(otherDir, 'key.pem')) });
    expect(foreign.status).toBeUndefined();
    expect(foreign.error).toMatch(/certificate|alert|unknown ca|socket hang up|ECONNRESET/i);

    // dockerode, as NetLabs uses it, with the other CA's client certificate: refused too.
    const intruder = new Docker({ host: '127.0.0.1', port, protocol: 'https', ca, cert: readFileSync(path.join(otherDir, 'cert.pem')), key: readFileSync(path.join(otherDir, 'key.pem')) });
    await expect(intruder.ping()).rejects.toThrow();
    // Plain HTTP gets no Docker API either.
    const plain = await fetch(`http://127.0.0.1:${port}/containers/json`).then((r) => r.text());
    expect(plain).toMatch(/HTTP request to an HTTPS server/);

    expect(await ping({ ca, cert: readFileSync(path.join(caDir, 'cert.pem')), key: readFileSync(path.join(caDir, 'key.pem')) })).toEqual({ status: 200 });
  });

  it('places a class on engine c, verifies a step, drives the lab daemon from the console, and deletes it all', async () => {
    const created = await stack.createClassAndWait(['tls-ana'], 'engine tls');
    const lab = created.labs[0];
    const detail = await stack.request('GET', `/labs/${lab.id}`);
    expect(detail.body).toMatchObject({ status: 'ready', hostId: 'c' });
    // The lab's objects are on engine c, and only there.
    expect(ids(C('ps', '-q', '--filter', `label=netlabs.lab=${lab.id}`)).length).toBeGreaterThan(0);
    expect(ids(execFileSync('docker', ['ps', '-aq', '--filter', `label=netlabs.lab=${lab.id}`]).toString())).toEqual([]);

    // A task step whose check reads the engine (the httpd container and its published port).
    await expectStep2aRunsAndPasses(stack, lab);

    // The console's terminal, and the lab's daemon (the gateway, over TLS to engine c) from it.
    const opened = await stack.request('POST', `/labs/${lab.id}/terminals`, { container: 'console' }, lab.token);
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const terminal = await TestTerminal.open(stack.apiUrl, opened.body.url, { header: lab.token });
    try {
      expect(await terminal.run('docker ps --format "{{.Names}}"', 30_000)).toContain('mon-serveur');
      const out = await terminal.run('docker run -d --name tls-probe ubuntu sleep 300 && docker exec tls-probe echo "via-""engine-c"', 120_000);
      expect(out).toContain('via-engine-c');
      const probe = ids(C('ps', '-q', '--filter', `label=netlabs.lab=${lab.id}`, '--filter', 'label=netlabs.name=tls-probe'));
      expect(probe).toHaveLength(1);

      // The fences hold for labs of this engine: the host's ports (the API here, engine c's TLS port)
      // answer the host at the lab network's gateway address, never the lab.
      const consoleId = ids(C('ps', '-q', '--filter', `label=netlabs.lab=${lab.id}`, '--filter', 'label=netlabs.role=console'))[0];
      const gateway = C('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.Gateway}} {{end}}', consoleId).trim().split(' ')[0];
      expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const apiPort = new URL(stack.apiUrl).port;
      expect((await fetch(`http://${gateway}:${apiPort}/health`)).status).toBeLessThan(600); // reachable from the host itself
      const fenced = await terminal.run(`curl -s -m 3 -o /dev/null http://${gateway}:${apiPort}/health; echo "api=$?"; curl -sk -m 3 -o /dev/null https://${gateway}:${port}/_ping; echo "tls=$?"`, 30_000);
      expect(fenced).toMatch(/api=(7|28)\b/);
      expect(fenced).toMatch(/tls=(7|28)\b/);
    } finally {
      await terminal.close();
    }

    // Every address of this machine a lab of engine c can try, IPv4 and IPv6, to the API, the
    // worker's metrics and engine c's TLS port (127.0.0.1 only): nothing but the lab's own server answers.
    const values = (await stack.request('GET', `/labs/${lab.id}`)).body.values;
    const addresses = hostAddressesSeenFrom(values.bridgeGateway, values.bridgeInterface);
    expect(addresses.map((a) => a.name)).toEqual(['gateway', 'host', 'bridge fe80', 'host IPv6']);
    const ports = { api: Number(new URL(stack.apiUrl).port), metrics: metricsPort, 'engine c TLS': port };
    const targets = addresses.flatMap((a) => Object.entries(ports).map(([what, p]) => ({ what: `${what} via ${a.name} ${a.address}:${p}`, address: a.address, port: p })));
    const closed = [];
    for (const target of targets.filter((t) => !t.what.startsWith('engine c'))) if (!(await hostReaches(target, values.bridgeInterface))) closed.push(target.what);
    expect(closed).toEqual([]); // open to this machine itself: only the fence keeps the lab out
    const onEngineC = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: caDir };
    const server = ids(C('ps', '-q', '--filter', `label=netlabs.lab=${lab.id}`, '--filter', 'label=netlabs.name=mon-serveur'))[0];
    const own = { what: 'own server', address: C('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', server).trim(), port: 80 };
    const consoleId = ids(C('ps', '-q', '--filter', `label=netlabs.lab=${lab.id}`, '--filter', 'label=netlabs.role=console'))[0];
    const probeContainer = ids(C('ps', '-q', '--filter', `label=netlabs.lab=${lab.id}`, '--filter', 'label=netlabs.name=tls-probe'))[0];
    for (const container of [consoleId, probeContainer]) {
      expect(await reachedFrom((cmd, ms) => dockerExec(container, cmd, ms, onEngineC), [own, ...targets]), container).toEqual(['own server']);
    }
    // The lab daemon beside engine c has no port (above); its socket is in the console only.
    expect((await dockerExec(consoleId, ['sh', '-c', 'test -S /run/netlabs/gateway.sock && echo socket'], 10_000, onEngineC)).stdout).toContain('socket');
    expect((await dockerExec(probeContainer, ['sh', '-c', 'test -e /run/netlabs && echo present || echo absent'], 10_000, onEngineC)).stdout.trim()).toBe('absent');

    expect((await stack.request('DELETE', `/classes/${created.id}`)).status).toBe(202);
    const ended = await stack.waitForLabs(created.id, (status) => status === 'destroyed', 120_000);
    expect(ended.labs[0].leaked ?? null).toBeNull();
    await waitFor('engine c to hold nothing of the run', () => {
      const left = [...ids(C('ps', '-aq', '--filter', `label=netlabs.test=${stack.runId}`)), ...ids(C('network', 'ls', '-q', '--filter', `label=netlabs.test=${stack.runId}`))];
      return left.length === 0 || undefined;
    }, { timeoutMs: 60_000 });
  });

  it('shows no key material in /health, the logs or errors', async () => {
    await expectNoKeyShown(stack.apiUrl, stack.runId, 'c', keyOf());
  });
});

describe('start-up refuses remote engines it cannot reach safely', () => {
  it('a plain tcp:// host without DOCKER_INSECURE_HOSTS stops the API and the worker, saying why and how to fix it', () => {
    for (const entry of ['dist/apps/api/main.js', 'dist/apps/worker/main.js']) {
      const { code, output } = runEntry(entry, { DOCKER_HOSTS: 'c=tcp://127.0.0.1:2375', DOCKER_CERT_DIR: path.join(work, 'none') });
      expect(code, output).toBe(1);
      expect(output).toContain('Invalid configuration');
      expect(output).toContain('DOCKER_HOSTS: host "c" (tcp://127.0.0.1:2375) would be plain HTTP, and anyone who can reach that port is root on its machine');
      expect(output).toContain('DOCKER_INSECURE_HOSTS=c');
      expect(output).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
  });

  it('a certificate folder with a file missing stops start-up naming the file, never printing a key', () => {
    const broken = path.join(work, 'broken-certs');
    mkdirSync(path.join(broken, 'c'), { recursive: true });
    copyFileSync(path.join(caDir, 'ca.pem'), path.join(broken, 'c', 'ca.pem'));
    copyFileSync(path.join(caDir, 'key.pem'), path.join(broken, 'c', 'key.pem'));
    const { code, output } = runEntry('dist/apps/api/main.js', { DOCKER_HOSTS: 'c=tcp://127.0.0.1:2376', DOCKER_CERT_DIR: broken });
    expect(code, output).toBe(1);
    expect(output).toContain(`DOCKER_CERT_DIR: host "c": cannot read ${path.join(broken, 'c', 'cert.pem')} (ENOENT)`);
    expect(output).not.toContain('PRIVATE KEY');
  });
});
