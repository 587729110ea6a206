/**
 * The real docker CLI (Debian's client, /usr/bin/docker) pointed at a lab's daemon, as a
 * student's console has it: DOCKER_HOST on the gateway socket, the lab credential in
 * config.json's HttpHeaders. `interactive` runs a command under a pty (util-linux
 * `script`), for `docker run -it` and `docker exec -it`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CREDENTIAL_HEADER, gatewaySecret, labCredential } from '../../libs/gateway/credentials';
import { sleep } from './wait-for';

export const DOCKER_CLI = process.env.TEST_DOCKER_CLI ?? '/usr/bin/docker';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class LabCli {
  readonly configDir: string;

  constructor(
    readonly socketPath: string,
    credential: string,
  ) {
    this.configDir = mkdtempSync(path.join(tmpdir(), 'nl-cli-'));
    writeFileSync(path.join(this.configDir, 'config.json'), JSON.stringify({ HttpHeaders: { [CREDENTIAL_HEADER]: credential } }));
  }

  /** The CLI of a lab of a TestStack (whose admin token the gateway secret derives from). */
  static forLab(adminToken: string, socketPath: string, labId: string): LabCli {
    return new LabCli(socketPath, labCredential(gatewaySecret({ ADMIN_TOKEN: adminToken }), labId));
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: `unix://${this.socketPath}`, DOCKER_CONFIG: this.configDir, DOCKER_BUILDKIT: '0' };
  }

  docker(args: string[], options: { cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(DOCKER_CLI, args, { env: this.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin.end(options.input ?? '');
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** `docker <args>` that must succeed; its stdout. */
  async ok(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.docker(args, options);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  interactive(args: string[]): Pty {
    const line = [DOCKER_CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return new Pty(spawn('script', ['-qfec', line, '/dev/null'], { env: { ...this.env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  dispose(): void {
    rmSync(this.configDir, { recursive: true, force: true });
  }
}

/** A command running under a pseudo-terminal: type into it, wait for what it prints. */
export class Pty {
  output = '';
  private readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  type(text: string): void {
    this.child.stdin!.write(text);
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = pattern.exec(this.output);
      if (m) return m[0];
      if (this.child.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`the terminal never showed ${pattern}; it shows:\n${this.output.slice(-2000)}`);
  }

  /** The exit code of the command, or a failure after timeoutMs (the process is killed then). */
  async exit(timeoutMs = 60_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
