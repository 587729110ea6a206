import { execFileSync, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { waitFor } from './wait-for';

/** A TCP endpoint a lab container tries to open: an IPv4 or IPv6 address (a link-local one goes out eth0), a port. */
export interface ProbeTarget {
  what: string;
  address: string;
  port: number;
}

/** Runs a command in a lab container (through the docker CLI of its engine); never throws. */
export type ContainerExec = (cmd: string[], timeoutMs: number) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Every target at once, one thread each, from inside the container: prints the ones that accepted, as JSON. */
const CONNECT_ALL = `import json, socket, sys, threading
targets, timeout, reached = json.loads(sys.argv[1]), float(sys.argv[2]), []
def probe(t):
    v6 = ':' in t['address']
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
    s.settimeout(timeout)
    try:
        scope = socket.if_nametoindex('eth0') if t['address'].startswith('fe80') else 0
        s.connect((t['address'], t['port'], 0, scope) if v6 else (t['address'], t['port']))
        reached.append(t['what'])
    except OSError:
        pass
    finally:
        s.close()
threads = [threading.Thread(target=probe, args=(t,)) for t in targets]
for th in threads: th.start()
for th in threads: th.join()
print('REACHED ' + json.dumps(sorted(reached)))`;

/**
 * Which targets a lab container opens a TCP connection to, all probed at once with a short
 * timeout (python3 of the lab images). A probe that could not run fails the test rather than
 * passing for "nothing reached".
 */
export async function reachedFrom(exec: ContainerExec, targets: ProbeTarget[], timeoutSeconds = 2): Promise<string[]> {
  const result = await exec(['python3', '-c', CONNECT_ALL, JSON.stringify(targets), String(timeoutSeconds)], (timeoutSeconds + 15) * 1000);
  const line = result.stdout.split('\n').find((l) => l.startsWith('REACHED '));
  if (result.code !== 0 || !line) throw new Error(`the probe did not run (exit ${result.code}): ${result.stdout}${result.stderr}`);
  return JSON.parse(line.slice('REACHED '.length)) as string[];
}

/** Whether this machine itself opens a TCP connection to the target (a link-local one through `dev`). */
export function hostReaches(target: ProbeTarget, dev?: string, timeoutMs = 2000): Promise<boolean> {
  const host = target.address.startsWith('fe80') && dev ? `${target.address}%${dev}` : target.address;
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: target.port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** The first IPv4 address of this machine that is not loopback nor a bridge. */
export function hostAddress(): string {
  const out = execFileSync('sh', ['-c', "ip -4 -o addr show scope global | grep -v -e docker -e nlb -e nlt -e chat -e br- | awk '{print $4}' | cut -d/ -f1 | head -n1"]).toString().trim();
  return out || '127.0.0.1';
}

/** This machine's IPv6 addresses: the link-local of an interface, or the first global one. */
export function ipv6Of(scope: 'link' | 'global', dev?: string): string | undefined {
  const args = ['-6', '-o', 'addr', 'show', ...(dev ? ['dev', dev] : []), 'scope', scope];
  const line = execFileSync('ip', args).toString().split('\n').find((l) => l.trim() && (!!dev || !/docker|nlb|nlt|chat|br-|veth/.test(l.split(/\s+/)[1])));
  return line ? /inet6 ([0-9a-f:]+)\//.exec(line)?.[1] : undefined;
}

/**
 * The addresses by which a lab container could try this machine: its bridge's gateway, the
 * machine's own address, and over IPv6 the bridge's link-local and the machine's global address.
 */
export function hostAddressesSeenFrom(bridgeGateway: string, bridgeInterface: string): { name: string; address: string }[] {
  return [
    { name: 'gateway', address: bridgeGateway },
    { name: 'host', address: hostAddress() },
    { name: 'bridge fe80', address: ipv6Of('link', bridgeInterface) },
    { name: 'host IPv6', address: ipv6Of('global') },
  ].filter((a): a is { name: string; address: string } => !!a.address);
}

/** TCP ports the given processes listen on (ss), with their listening address. */
export function listeningPorts(pids: number[]): { address: string; port: number }[] {
  const lines = execFileSync('ss', ['-Hltnp']).toString().split('\n');
  return lines
    .filter((line) => pids.some((pid) => line.includes(`pid=${pid},`)))
    .map((line) => {
      const local = line.trim().split(/\s+/)[3];
      const at = local.lastIndexOf(':');
      return { address: local.slice(0, at), port: Number(local.slice(at + 1)) };
    });
}

/** Opens many connections to one target for a while, 20 at a time, each given 50 ms: prints how many were made. */
const CONNECT_STORM = `import json, socket, sys, time
ip, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end, tries, connected = time.time() + seconds, 0, 0
while time.time() < end:
    batch = []
    for _ in range(20):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((ip, port))
        except OSError:
            pass
        batch.append(s)
    time.sleep(0.05)
    for s in batch:
        tries += 1
        try:
            s.getpeername()
            connected += 1
        except OSError:
            pass
        s.close()
print('STORM ' + json.dumps({'tries': tries, 'connected': connected}))`;

/**
 * How many of its connection attempts to one target a lab container makes over `seconds`
 * (python3 of the lab images): a fence that opens for a moment lets some through. A probe
 * that could not run fails the test.
 */
export async function connectStorm(exec: ContainerExec, target: ProbeTarget, seconds: number): Promise<{ tries: number; connected: number }> {
  const result = await exec(['python3', '-c', CONNECT_STORM, target.address, String(target.port), String(seconds)], (seconds + 20) * 1000);
  const line = result.stdout.split('\n').find((l) => l.startsWith('STORM '));
  if (result.code !== 0 || !line) throw new Error(`the probe did not run (exit ${result.code}): ${result.stdout}${result.stderr}`);
  return JSON.parse(line.slice('STORM '.length)) as { tries: number; connected: number };
}

/** The network namespace and host-side veth of a run's private listener. */
const listenerNames = (runId: string) => ({ ns: `nlt-${runId}`, hostSide: `nltv${runId}`, nsSide: `nltp${runId}` });

/**
 * A TCP listener at a private address behind this machine that is neither its own nor a
 * Docker network's: a network namespace of its own, joined by a veth pair, as a school's LAN
 * is behind its Docker host (10.253.x.y/30, outside the lab pools). A lab's traffic to it is
 * routed (FORWARD), where Docker's rules accept whatever leaves a bridge: only the fence
 * stands between. close() (or cleanUpRun's sweep) removes it.
 */
export async function privateListener(runId: string): Promise<ProbeTarget & { close(): void }> {
  const { ns, hostSide, nsSide } = listenerNames(runId);
  const [a, b] = [Number.parseInt(runId.slice(0, 2), 16), Number.parseInt(runId.slice(2, 4), 16) & 0xfc];
  const [hostIp, address, port] = [`10.253.${a}.${b + 1}`, `10.253.${a}.${b + 2}`, 8080];
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const close = () => sweepPrivateListener(runId);
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide);
    ip('link', 'set', nsSide, 'netns', ns);
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostSide);
    ip('link', 'set', hostSide, 'up');
    ip('-n', ns, 'addr', 'add', `${address}/30`, 'dev', nsSide);
    ip('-n', ns, 'link', 'set', nsSide, 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', hostIp);
    const server = `require('net').createServer((s) => s.end()).listen(${port}, '${address}')`;
    spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', server], { stdio: 'ignore', detached: true }).unref();
    const target = { what: 'private listener', address, port };
    await waitFor(`the listener at ${address}:${port} (netns ${ns}) to answer this machine`, () => hostReaches(target, undefined, 500), { timeoutMs: 30_000, intervalMs: 100 });
    return { ...target, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** Removes a run's private listener, if any: its process, its namespace, its veth pair. */
export function sweepPrivateListener(runId: string): void {
  const { ns, hostSide } = listenerNames(runId);
  const quiet = (args: string[]) => {
    try {
      return execFileSync('ip', args, { stdio: 'pipe' }).toString();
    } catch {
      return '';
    }
  };
  for (const pid of quiet(['netns', 'pids', ns]).split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  quiet(['netns', 'del', ns]);
  quiet(['link', 'del', hostSide]);
}
