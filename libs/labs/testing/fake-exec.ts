import type { ExecResult } from '../../docker/tenant-docker';
import { APACHE_PAGE, type FakeContainer, type FakeTenantDocker } from './fake-tenant-docker';

const PACKAGE_TOOLS: Record<string, string[]> = { 'net-tools': ['netstat'], curl: ['curl'], wget: ['wget'] };

const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', exitCode: 0, timedOut: false });
const err = (exitCode: number, stderr: string): ExecResult => ({ stdout: '', stderr, exitCode, timedOut: false });

/**
 * The few commands the lab's solutions and checks run inside containers, simulated on the
 * fake's state: package installs, netstat, and the HTTP fetch script. Anything else is an
 * unexpected call.
 */
export function simulateExec(fake: FakeTenantDocker, name: string, cmd: string[]): ExecResult {
  const c = fake.mustHave(name);
  const script = cmd[0] === 'sh' && cmd[1] === '-c' ? cmd[2] : undefined;
  if (script !== undefined && cmd[3] === 'netlabs-fetch') return fetchPage(fake, c, cmd[4]);
  if (script?.includes('apt-get install')) return install(c, script);
  if (cmd[0] === 'netstat' || script?.trim().startsWith('netstat')) return netstat(fake, c);
  return fake.fail(`exec ${name} ${JSON.stringify(cmd)}`);
}

function install(c: FakeContainer, script: string): ExecResult {
  const guard = /command -v (\S+)/.exec(script)?.[1];
  if (guard && c.tools.has(guard)) return ok();
  const packages = /apt-get install -y ([\w\s.-]+?)\)?$/.exec(script)?.[1].trim().split(/\s+/) ?? [];
  for (const pkg of packages) for (const tool of PACKAGE_TOOLS[pkg] ?? []) c.tools.add(tool);
  return ok(packages.map((p) => `Setting up ${p} ...`).join('\n'));
}

function netstat(fake: FakeTenantDocker, c: FakeContainer): ExecResult {
  if (!c.tools.has('netstat')) return err(127, 'sh: 1: netstat: not found');
  const header = 'Active Internet connections (only servers)\nProto Recv-Q Send-Q Local Address           Foreign Address         State';
  const owner = fake.namespaceOwner(c);
  const listening = owner && owner.state === 'running' && fake.isHttpd(owner);
  return ok(listening ? `${header}\ntcp6       0      0 :::80                   :::*                    LISTEN\n` : `${header}\n`);
}

function fetchPage(fake: FakeTenantDocker, c: FakeContainer, url: string): ExecResult {
  if (!c.tools.has('curl') && !c.tools.has('wget')) return err(127, 'neither curl nor wget is installed');
  const host = new URL(url).hostname;
  const target = fake.resolveFrom(c, host);
  if (!target) return err(6, `curl: (6) Could not resolve host: ${host}`);
  if (target.state !== 'running' || !fake.isHttpd(target)) return err(7, `curl: (7) Failed to connect to ${host} port 80: Connection refused`);
  return ok(APACHE_PAGE);
}
