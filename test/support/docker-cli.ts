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

/** What the shell in the container prints after the command: a newline, then this and the exit code. */
const EXIT_MARK = '\n__netlabs_exit:';

/**
 * Runs a command in a container through the docker CLI (of another engine with `env`, e.g.
 * DOCKER_HOST and its TLS variables); never throws, never hangs past timeoutMs.
 *
 * The exit code is printed by a shell in the container, after the command, so that a probe's
 * result depends only on what ran there. The CLI's own comes from one exec inspect once the
 * output ends, and libs/docker/docker-exec.ts polls that inspect because the stream can end
 * before the engine records the exit. Suspected when a CI run under load had 15 of 24
 * cross-lab connections "succeed", one by a name that does not resolve across labs; not
 * reproduced with the CLI by hand (an exec whose exit containerd held back 2.5 s still
 * said 3). Every container here has `sh`.
 */
export async function dockerExec(container: string, cmd: string[], timeoutMs = 15_000, env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const wrapped = ['sh', '-c', `"$@"; printf '\\n__netlabs_exit:%d\\n' "$?"`, 'sh', ...cmd];
  let out: { cliCode: number; stdout: string; stderr: string };
  try {
    const { stdout, stderr } = await run('docker', ['exec', container, ...wrapped], { timeout: timeoutMs, env: env ? { ...process.env, ...env } : undefined });
    out = { cliCode: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    out = { cliCode: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
  const at = out.stdout.lastIndexOf(EXIT_MARK);
  // No mark: the exec did not start (no such container: the CLI's code) or was cut short.
  if (at === -1) return { code: out.cliCode === 0 ? -1 : out.cliCode, stdout: out.stdout, stderr: out.stderr };
  return { code: Number.parseInt(out.stdout.slice(at + EXIT_MARK.length), 10), stdout: out.stdout.slice(0, at), stderr: out.stderr };
}

/** Whether `container` can open a TCP connection to host:port within `seconds` (bash /dev/tcp, no extra tools). */
export async function canConnect(container: string, host: string, port: number, seconds = 3): Promise<boolean> {
  const probe = await dockerExec(container, ['timeout', String(seconds), 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], (seconds + 5) * 1000);
  return probe.code === 0;
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args).toString().trim();
}
