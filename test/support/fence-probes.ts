import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';

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
  const out = execFileSync('sh', ['-c', "ip -4 -o addr show scope global | grep -v -e docker -e nlb -e chat -e br- | awk '{print $4}' | cut -d/ -f1 | head -n1"]).toString().trim();
  return out || '127.0.0.1';
}

/** This machine's IPv6 addresses: the link-local of an interface, or the first global one. */
export function ipv6Of(scope: 'link' | 'global', dev?: string): string | undefined {
  const args = ['-6', '-o', 'addr', 'show', ...(dev ? ['dev', dev] : []), 'scope', scope];
  const line = execFileSync('ip', args).toString().split('\n').find((l) => l.trim() && (!!dev || !/docker|nlb|chat|br-|veth/.test(l.split(/\s+/)[1])));
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
