import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect, docker, dockerExec, engineName, inspect } from './support/docker-cli';
import { IPV6_SYN_PROBE } from './support/ipv6-probe';
import { TestStack } from './support/stack';
import { ENGINE_B_LOCK_WAIT_MS, holdEngineB, startEngineB, stopEngineB } from './support/two-engines';

type Lab = { id: string; token: string; values: Record<string, any>; client: string; server: string; serverIp: string };

/** The first IPv4 address of this machine that is not loopback nor a bridge. */
function hostAddress(): string {
  const out = execFileSync('sh', ['-c', "ip -4 -o addr show scope global | grep -v -e docker -e nlb -e chat -e br- | awk '{print $4}' | cut -d/ -f1 | head -n1"]).toString().trim();
  return out || '127.0.0.1';
}

/** This machine's IPv6 addresses: the link-local of an interface, or the first global one. */
function ipv6Of(scope: 'link' | 'global', dev?: string): string | undefined {
  const args = ['-6', '-o', 'addr', 'show', ...(dev ? ['dev', dev] : []), 'scope', scope];
  const line = execFileSync('ip', args).toString().split('\n').find((l) => l.trim() && (!!dev || !/docker|nlb|chat|br-|veth/.test(l.split(/\s+/)[1])));
  return line ? /inet6 ([0-9a-f:]+)\//.exec(line)?.[1] : undefined;
}

const connect6 = `import socket, sys
ip, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6); s.settimeout(2)
try:
    s.connect((ip, port, 0, socket.if_nametoindex('eth0') if ip.startswith('fe80') else 0)); print('CONNECTED')
except OSError as e:
    print('FAILED', e)`;

describe('isolation and limits on the real engine (3 labs)', () => {
  const stack = new TestStack({ STEP_WAIT_MS: '120000' });
  let labs: Lab[];
  let apiPort: number;

  beforeAll(async () => {
    await stack.start();
    apiPort = Number(new URL(stack.apiUrl).port);
    const created = await stack.createClassAndWait(['i1', 'i2', 'i3'], 'isolation');
    labs = await Promise.all(
      created.labs.map(async (lab) => {
        const ran = await stack.request('POST', `/labs/${lab.id}/steps/2c/run`, {}, lab.token);
        if (ran.status !== 200 || !ran.body.succeeded) throw new Error(`2c run failed: ${JSON.stringify(ran.body)}`);
        const values = (await stack.request('GET', `/labs/${lab.id}`)).body.values; // the instructor's view has the bridge gateway
        const server = engineName(lab.id, 'container', 'mon-serveur');
        const serverIp = Object.values<any>(inspect('container', server).NetworkSettings.Networks)[0].IPAddress;
        return { id: lab.id, token: lab.token, values, client: engineName(lab.id, 'container', 'container1'), server, serverIp };
      }),
    );
  });

  afterAll(() => stack.stop());

  it('every intra-lab probe the TP needs succeeds', async () => {
    for (const lab of labs) {
      expect(await canConnect(lab.client, lab.serverIp, 80)).toBe(true);
      expect((await dockerExec(lab.client, ['curl', '-s', '-m', '5', 'http://mon-serveur/'])).stdout).toContain('It works!');
      const container2 = engineName(lab.id, 'container', 'container2');
      expect((await dockerExec(container2, ['curl', '-s', '-m', '5', 'http://serveur/'])).stdout).toContain('It works!');
      // And the host reaches the published port (step 2a).
      expect(await (await fetch(`http://127.0.0.1:${lab.values.httpdPort}/`)).text()).toContain('It works!');
    }
  });

  it('every cross-lab probe fails: by IP, by name, and through published ports', async () => {
    const host = hostAddress();
    const probes: Promise<[string, boolean]>[] = [];
    for (const from of labs) {
      for (const to of labs.filter((l) => l !== from)) {
        const gateway = from.values.bridgeGateway;
        probes.push(canConnect(from.client, to.serverIp, 80).then((ok) => [`${from.id} -> ${to.id} by IP`, ok]));
        probes.push(canConnect(from.client, to.server, 80).then((ok) => [`${from.id} -> ${to.id} by name`, ok]));
        probes.push(canConnect(from.client, gateway, to.values.httpdPort).then((ok) => [`${from.id} -> ${to.id} port via gateway`, ok]));
        probes.push(canConnect(from.client, host, to.values.httpdPort).then((ok) => [`${from.id} -> ${to.id} port via ${host}`, ok]));
      }
    }
    const results = await Promise.all(probes);
    expect(results.filter(([, ok]) => ok).map(([what]) => what)).toEqual([]);
  });

  it('labs stay apart after another engine on this kernel starts (it rewrites Docker\'s isolation chains with its own bridges only)', async () => {
    // Left running, as the multi-host tests leave it; restarted alone: another run's labs may be on it.
    const release = await holdEngineB('exclusive');
    try {
      stopEngineB();
      startEngineB();
    } finally {
      await release();
    }
    const crossings: string[] = [];
    for (const from of labs) {
      for (const to of labs.filter((l) => l !== from)) {
        if (await canConnect(from.client, to.serverIp, 80)) crossings.push(`${from.id} -> ${to.id} by IP`);
      }
      // Inside the lab, nothing changed.
      expect(await canConnect(from.client, from.serverIp, 80)).toBe(true);
    }
    expect(crossings).toEqual([]);
  }, ENGINE_B_LOCK_WAIT_MS + 60_000);

  it("lab containers cannot reach the host's own services nor other private addresses", async () => {
    const [lab] = labs;
    const gateway = lab.values.bridgeGateway;
    const host = hostAddress();
    const targets: [string, number][] = [
      [gateway, apiPort], // the NetLabs API
      [host, apiPort],
      [gateway, 5432], // Postgres
      [gateway, 6379], // Redis
      [gateway, 2375], // a Docker TCP port
      ['172.17.0.1', apiPort], // the engine's default bridge
    ];
    const reached = [];
    for (const [address, port] of targets) if (await canConnect(lab.client, address, port, 2)) reached.push(`${address}:${port}`);
    expect(reached).toEqual([]);
    // The Docker socket is not in the container.
    expect((await dockerExec(lab.client, ['test', '-e', '/var/run/docker.sock'])).code).not.toBe(0);
    // The probe itself works: the same API port answers from the host.
    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
  });

  it('IPv6: no raw socket in a lab container, no IPv6 connection to the host, and ping still works', async () => {
    const [lab] = labs;
    const bridge: string = lab.values.bridgeInterface;
    const mac = readFileSync(`/sys/class/net/${bridge}/address`, 'utf8').trim();
    const linkLocal = ipv6Of('link', bridge)!;
    expect(linkLocal).toMatch(/^fe80:/);
    // Hand-built frames to the bridge's fe80:: address: the socket itself is refused (no NET_RAW).
    const raw = await dockerExec(lab.client, ['python3', '-c', IPV6_SYN_PROBE, mac, linkLocal, String(apiPort)], 20_000);
    expect(raw.stdout).toContain('RAW-REFUSED');
    // Plain IPv6 sockets reach neither the bridge's link-local address nor the host's others.
    for (const target of [linkLocal, ipv6Of('global')].filter(Boolean) as string[]) {
      const plain = await dockerExec(lab.client, ['python3', '-c', connect6, target, String(apiPort)], 10_000);
      expect(plain.stdout, target).toContain('FAILED');
    }
    // ping without NET_RAW: ICMP datagram sockets (net.ipv4.ping_group_range).
    const ping = await dockerExec(lab.client, ['ping', '-c1', '-W2', lab.serverIp]);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
  });

  it('IPv6: the host answers nothing from a lab bridge, even to a container that can build raw frames', async () => {
    const [lab] = labs;
    const bridge: string = lab.values.bridgeInterface;
    const mac = readFileSync(`/sys/class/net/${bridge}/address`, 'utf8').trim();
    // Not a lab container (those have no NET_RAW): one of the test's, with Docker's default capabilities, on the lab's bridge.
    const attacker = `nltest-${stack.runId}-raw`;
    docker('run', '-d', '--name', attacker, '--label', `netlabs.test=${stack.runId}`, '--network', engineName(lab.id, 'network', 'bridge'), process.env.LAB_IMAGE_UBUNTU ?? 'netlabs-local/ubuntu:24.04', 'sleep', '600');
    try {
      const answered: string[] = [];
      for (const target of [ipv6Of('link', bridge)!, ipv6Of('global')].filter(Boolean) as string[]) {
        const probe = await dockerExec(attacker, ['python3', '-c', IPV6_SYN_PROBE, mac, target, String(apiPort)], 20_000);
        expect(probe.stdout).not.toContain('RAW-REFUSED');
        if (!probe.stdout.includes('NO-ANSWER')) answered.push(`${target}: ${probe.stdout.trim()}`);
      }
      expect(answered).toEqual([]);
    } finally {
      docker('rm', '-f', attacker);
    }
  });

  it('published ports answer on LAB_PUBLIC_HOST (127.0.0.1 here), not on every address of the host', async () => {
    const [lab] = labs;
    const port = lab.values.httpdPort;
    const server = inspect('container', lab.server);
    expect(server.HostConfig.PortBindings['80/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(port) }]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('It works!');
    const elsewhere = await fetch(`http://${hostAddress()}:${port}/`, { signal: AbortSignal.timeout(3_000) }).then(
      () => 'answered',
      () => 'refused',
    );
    expect(elsewhere).toBe('refused');
  });

  it('a fork bomb is stopped by the pids limit; the host and other labs keep answering', async () => {
    const [bomber, neighbour] = labs;
    await dockerExec(bomber.client, ['timeout', '-s', 'KILL', '10', 'bash', '-c', 'bomb() { bomb | bomb & }; bomb'], 20_000);
    const pids = Number(docker('stats', '--no-stream', '--format', '{{.PIDs}}', bomber.client));
    expect(pids).toBeLessThanOrEqual(256);
    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
    expect((await dockerExec(neighbour.client, ['curl', '-s', '-m', '5', 'http://mon-serveur/'])).stdout).toContain('It works!');
    docker('rm', '-f', bomber.client);
  });

  it('a memory hog is killed inside its own limit', async () => {
    const [, hogger, neighbour] = labs;
    const hog = await dockerExec(hogger.client, ['python3', '-c', 'b = bytearray(700 * 1024 * 1024); print("survived")'], 60_000);
    expect(hog.stdout).not.toContain('survived');
    expect(hog.code).not.toBe(0);
    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
    expect((await dockerExec(neighbour.client, ['curl', '-s', '-m', '5', 'http://mon-serveur/'])).stdout).toContain('It works!');
  });
});
