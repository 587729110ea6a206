import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The engine name of a lab's object from its TP name (the layer names them <prefix>-<name>). */
export function engineName(labId: string, kind: 'container' | 'network', tpName: string): string {
  const args =
    kind === 'container'
      ? ['ps', '-a', '--filter', `label=netlabs.lab=${labId}`, '--filter', `label=netlabs.name=${tpName}`, '--format', '{{.Names}}']
      : ['network', 'ls', '--filter', `label=netlabs.lab=${labId}`, '--filter', `label=netlabs.name=${tpName}`, '--format', '{{.Name}}'];
  const names = execFileSync('docker', args).toString().split('\n').filter(Boolean);
  if (names.length !== 1) throw new Error(`expected one ${kind} ${tpName} in lab ${labId}, found ${names.length}`);
  return names[0];
}

export function inspect<T = any>(kind: 'container' | 'network', name: string): T {
  return JSON.parse(execFileSync('docker', [kind, 'inspect', name]).toString())[0] as T;
}

/**
 * Runs a command in a container through the docker CLI (of another engine with `env`, e.g.
 * DOCKER_HOST and its TLS variables); never throws, never hangs past timeoutMs.
 */
export async function dockerExec(container: string, cmd: string[], timeoutMs = 15_000, env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('docker', ['exec', container, ...cmd], { timeout: timeoutMs, env: env ? { ...process.env, ...env } : undefined });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

/** Whether `container` can open a TCP connection to host:port within `seconds` (bash /dev/tcp, no extra tools). */
export async function canConnect(container: string, host: string, port: number, seconds = 3): Promise<boolean> {
  const probe = await dockerExec(container, ['timeout', String(seconds), 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], (seconds + 5) * 1000);
  return probe.code === 0;
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args).toString().trim();
}
