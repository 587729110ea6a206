import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect, docker, dockerExec, inspect } from './support/docker-cli';
import { dockerObjects, TestStack } from './support/stack';
import { TestTerminal } from './support/terminal-client';
import { waitFor } from './support/wait-for';

type Lab = { id: string; token: string; values: { httpdPort: number; publicHost: string; bridgeGateway: string } };

/** The lines of a terminal's output, without terminal escape sequences. */
const lines = (text: string) =>
  text
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r?\n/)
    .map((l) => l.replace(/\r/g, '').trim());

/** The first IPv4 address of this machine that is not loopback nor a bridge. */
function hostAddress(): string {
  const out = execFileSync('sh', ['-c', "ip -4 -o addr show scope global | grep -v -e docker -e nlb -e chat -e br- | awk '{print $4}' | cut -d/ -f1 | head -n1"]).toString().trim();
  return out || '127.0.0.1';
}

/** Engine id of the lab's running console, or undefined. */
function consoleId(labId: string): string | undefined {
  const ids = dockerObjects('container', `label=netlabs.lab=${labId}`).filter((id) => inspect('container', id).Config.Labels['netlabs.role'] === 'console');
  return ids.length === 1 && inspect('container', ids[0]).State.Running ? ids[0] : undefined;
}

describe('the lab console (real API, worker, lab daemon, Postgres, Redis and Docker)', () => {
  const socketDir = mkdtempSync(path.join(tmpdir(), 'netlabs-console-'));
  // Three containers: step 2c's solution fills the lab exactly, so a console counted against the limit would break it.
  const stack = new TestStack({
    GATEWAY_SOCKET: path.join(socketDir, 'gateway.sock'),
    RECONCILE_INTERVAL_MS: '2000',
    STEP_WAIT_MS: '120000',
    LAB_MAX_CONTAINERS: '3',
  });
  let a: Lab;
  let b: Lab;
  const lab = async (created: { id: string; token: string }): Promise<Lab> => ({
    ...created,
    values: (await stack.request('GET', `/labs/${created.id}`, undefined, created.token)).body.values,
  });
  const openConsole = async (l: Lab) => {
    // No container named: the console is the default terminal.
    const created = await stack.request('POST', `/labs/${l.id}/terminals`, {}, l.token);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.container).toBe('console');
    return TestTerminal.open(stack.apiUrl, created.body.url, { header: l.token });
  };

  beforeAll(async () => {
    await stack.start();
    const created = await stack.createClassAndWait(['ana', 'ben'], 'console');
    expect(created.labs.map((l) => l.status)).toEqual(['provisioning', 'provisioning']);
    [a, b] = await Promise.all(created.labs.map(lab));
  });

  afterAll(async () => {
    await stack.stop();
    rmSync(socketDir, { recursive: true, force: true });
  });

  it('every ready lab has its console: hidden, on the lab bridge, limited, the socket directory its only mount, read-only', async () => {
    for (const l of [a, b]) {
      expect((await stack.request('GET', `/labs/${l.id}`, undefined, l.token)).body.status).toBe('ready');
      const id = consoleId(l.id)!;
      expect(id).toBeDefined();
      const info = inspect('container', id);
      const prefix = /^\/(.+)--console$/.exec(info.Name)![1];
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`${prefix}-bridge`]);
      expect(info.Config.Labels).toMatchObject({ 'netlabs.lab': l.id, 'netlabs.role': 'console', 'netlabs.test': stack.runId });
      expect(info.HostConfig).toMatchObject({ Memory: 256 * 1024 * 1024, PidsLimit: 256, Privileged: false, SecurityOpt: ['no-new-privileges'] });
      expect(info.Mounts.map((m: any) => [m.Source, m.Destination, m.RW])).toEqual([[socketDir, '/run/netlabs', false]]);
    }
    // The step checks and the container limit never see it.
    const overview = await stack.request('GET', `/labs/${a.id}/terminals`, undefined, a.token);
    expect(overview.body.containers[0]).toEqual({ name: 'console', state: 'running' });
  });

  it("a terminal on the console types the TP's docker commands at the lab's own daemon", async () => {
    const t = await openConsole(a);
    expect(await t.run('docker ps')).toMatch(/CONTAINER ID\s+IMAGE\s+COMMAND/);
    const networks = lines(await t.run("docker network ls --format '{{.Name}}'")).filter((l) => /^[a-z0-9_.-]+$/.test(l));
    expect(networks.sort()).toEqual(['bridge', 'host', 'none']);
    expect(await t.run('docker network ls')).toMatch(/bridge\s+bridge\s+local/);

    const port = a.values.httpdPort;
    const started = await t.run(`docker run -d --name mon-serveur -p ${port}:80 httpd`, 60_000);
    expect(lines(started).some((l) => /^[0-9a-f]{64}$/.test(l)), started).toBe(true);
    const ip = lines(await t.run("docker inspect -f 'IP={{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' mon-serveur"))
      .map((l) => /^IP=(\d+\.\d+\.\d+\.\d+)$/.exec(l)?.[1])
      .find(Boolean);
    expect(ip).toBeDefined();
    await waitFor('apache in mon-serveur', async () => (await t.run(`curl -s -m 3 http://${ip}/`)).includes('It works!'), { timeoutMs: 30_000, intervalMs: 500 });
    // Step 2a "from a browser of the host machine": the lab's public address and port, from the console.
    expect(await t.run(`curl -s -m 5 http://${a.values.publicHost}:${port}/`)).toContain('It works!');

    const chat = lines(await t.run('ls ~/chat')).join(' ');
    for (const file of ['Dockerfile', 'README.md', 'client.py', 'serveur.py']) expect(chat).toContain(file);
    expect(await t.run('docker network create --help | head -3')).toContain('Usage:  docker network create [OPTIONS] NETWORK');
    expect(lines(await t.run('command -v nano vi curl python3 | wc -l'))).toContain('4');
    await t.close();
  });

  it('the console reaches nothing but its own lab: not the API, Postgres, Redis, the engine, nor another lab', async () => {
    // mon-serveur, container1 and container2: the lab's whole container limit, console aside.
    const ran = await stack.request('POST', `/labs/${b.id}/steps/2c/run`, {}, b.token);
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    expect(ran.body.succeeded, JSON.stringify(ran.body)).toBe(true);
    const serverB = dockerObjects('container', `label=netlabs.lab=${b.id}`).map((id) => inspect('container', id)).find((c) => c.Config.Labels['netlabs.name'] === 'mon-serveur');
    const ipB = Object.values<any>(serverB.NetworkSettings.Networks)[0].IPAddress as string;
    const consoleA = consoleId(a.id)!;
    const consoleB = consoleId(b.id)!;
    // The probe works: B's console reaches B's server.
    expect(await canConnect(consoleB, ipB, 80)).toBe(true);

    const apiPort = Number(new URL(stack.apiUrl).port);
    const host = hostAddress();
    const targets: [string, number][] = [
      [a.values.bridgeGateway, apiPort],
      [host, apiPort],
      [a.values.bridgeGateway, 5432],
      [a.values.bridgeGateway, 6379],
      [a.values.bridgeGateway, 2375],
      ['172.17.0.1', apiPort],
      [ipB, 80],
      [host, b.values.httpdPort],
    ];
    const reached: string[] = [];
    for (const [address, port] of targets) if (await canConnect(consoleA, address, port, 2)) reached.push(`${address}:${port}`);
    expect(reached).toEqual([]);
    // B's published port is not served by A's console either.
    expect((await dockerExec(consoleA, ['curl', '-s', '-m', '3', `http://127.0.0.1:${b.values.httpdPort}/`])).stdout).not.toContain('It works!');

    // The engine's socket is not there, and the gateway's directory cannot be changed.
    expect((await dockerExec(consoleA, ['test', '-e', '/var/run/docker.sock'])).code).not.toBe(0);
    expect((await dockerExec(consoleA, ['rm', '-f', '/run/netlabs/gateway.sock'])).code).not.toBe(0);
    expect((await dockerExec(consoleA, ['touch', '/run/netlabs/planted'])).code).not.toBe(0);
    // The lab's daemon shows lab A alone.
    const psA = await dockerExec(consoleA, ['docker', 'ps', '-a', '--format', '{{.Names}}']);
    expect(psA.stdout.trim().split('\n')).toEqual(['mon-serveur']);
  });

  it('docker rm -f $(docker ps -aq) leaves the console alive: it is not the student\'s', async () => {
    const before = consoleId(a.id);
    const t = await openConsole(a);
    await t.run('docker rm -f $(docker ps -aq)', 30_000);
    expect(lines(await t.run('docker ps -aq')).filter((l) => /^[0-9a-f]{12}$/.test(l))).toEqual([]);
    expect(await t.run('echo still "here"')).toContain('still here');
    expect(consoleId(a.id)).toBe(before);
    // The whole container limit is the student's: three run, the fourth is refused.
    const ran = await t.run('for n in 1 2 3 4; do docker run -d --name c$n ubuntu sleep 600 >/dev/null && echo "ran c$n"; done', 60_000);
    expect(lines(ran).filter((l) => l.startsWith('ran c'))).toEqual(['ran c1', 'ran c2', 'ran c3']);
    expect(ran).toMatch(/at most 3 containers/);
    await t.close();
  });

  it('a console removed on the engine comes back (reconciler), and a reset gives a fresh one that works', async () => {
    const lost = consoleId(a.id)!;
    docker('rm', '-f', lost);
    const back = await waitFor('the reconciler to rebuild the console', () => {
      const id = consoleId(a.id);
      return id && id !== lost ? id : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });

    const reset = await stack.request('POST', `/labs/${a.id}/reset`, {}, a.token);
    expect(reset.status, JSON.stringify(reset.body)).toBe(202);
    await waitFor('the reset lab to be ready with a new console', async () => {
      const status = (await stack.request('GET', `/labs/${a.id}`, undefined, a.token)).body.status;
      const id = consoleId(a.id);
      return status === 'ready' && id && id !== back ? id : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    const t = await openConsole(a);
    expect(lines(await t.run("docker network ls --format '{{.Name}}'"))).toContain('bridge');
    await t.close();
  });
});
