import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { sleep, waitFor } from './wait-for';

export type TerminalAuth = { header: string } | { protocol: string } | { query: string } | null;

/** What the upgrade answered when it refused: status and REST error body. */
export interface Refusal {
  status: number;
  body: { statusCode?: number; message?: string };
}

function wsUrl(apiUrl: string, path: string, auth: TerminalAuth, extra: Record<string, string | number>): string {
  const url = new URL(path, apiUrl.replace(/^http/, 'ws'));
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, String(value));
  if (auth && 'query' in auth) url.searchParams.set('token', auth.query);
  return url.toString();
}

function connect(apiUrl: string, path: string, auth: TerminalAuth, extra: Record<string, string | number>): WebSocket {
  const protocols = auth && 'protocol' in auth ? ['netlabs.terminal.v1', `netlabs.token.${auth.protocol}`] : undefined;
  const headers = auth && 'header' in auth ? { authorization: `Bearer ${auth.header}` } : undefined;
  return new WebSocket(wsUrl(apiUrl, path, auth, extra), protocols, { headers });
}

/** A terminal session as a program sees it, on the real WebSocket protocol. */
export class TestTerminal {
  output = '';
  offset = 0;
  ready?: { session: string; container: string; offset: number; lost: boolean };
  closed?: { code: number; reason: string };
  private marks = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) {
        const message = JSON.parse(data.toString());
        if (message.type === 'ready') {
          this.ready = message;
          this.offset = message.offset;
        }
        return;
      }
      this.output += data.toString('utf8');
      this.offset += data.length;
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => undefined);
  }

  /** Opens the url of a session; fails the test if the upgrade is refused. */
  static async open(apiUrl: string, path: string, auth: TerminalAuth, extra: Record<string, string | number> = {}): Promise<TestTerminal> {
    const ws = connect(apiUrl, path, auth, extra);
    const terminal = new TestTerminal(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => reject(new Error(`upgrade refused: ${res.statusCode} ${body}`)));
      });
      ws.once('error', reject);
    });
    await waitFor('the ready message', () => terminal.ready, { timeoutMs: 10_000, intervalMs: 20 });
    return terminal;
  }

  /** Tries a url that must be refused; never upgrades. */
  static refused(apiUrl: string, path: string, auth: TerminalAuth, extra: Record<string, string | number> = {}): Promise<Refusal> {
    const ws = connect(apiUrl, path, auth, extra);
    return new Promise<Refusal>((resolve, reject) => {
      ws.once('open', () => {
        ws.terminate();
        reject(new Error(`${path} was upgraded, a refusal was expected`));
      });
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk));
        res.on('end', () => {
          ws.terminate();
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
        });
      });
      ws.once('error', () => undefined);
    });
  }

  /** Types bytes into the shell (a binary frame, as the page sends keystrokes). */
  type(text: string): void {
    this.ws.send(Buffer.from(text));
  }

  control(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * Runs a command line and returns what it printed. The end marker is printed by
   * `echo "__E""ND_n__"`, so the echo of the typed line never matches it.
   */
  async run(command: string, timeoutMs = 15_000): Promise<string> {
    const mark = `__END_${++this.marks}__`;
    const from = this.output.length;
    this.type(`${command}; echo "${mark.slice(0, 4)}""${mark.slice(4)}"\r`);
    const text = await this.waitForOutput(mark, timeoutMs, from);
    return text.slice(0, text.lastIndexOf(mark));
  }

  /** Waits until the output since `from` matches; returns that output. */
  async waitForOutput(pattern: RegExp | string, timeoutMs = 15_000, from = 0): Promise<string> {
    return waitFor(
      `terminal output ${pattern}`,
      () => {
        const text = this.output.slice(from);
        return (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) ? text : undefined;
      },
      { timeoutMs, intervalMs: 20 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; output so far: ${JSON.stringify(this.output.slice(-800))}`);
    });
  }

  async waitClosed(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    return waitFor('the socket to close', () => this.closed, { timeoutMs, intervalMs: 20 });
  }

  /** Closes on purpose (1000): the shell must end. */
  async close(): Promise<void> {
    this.ws.close(1000, 'done');
    await this.waitClosed();
  }

  /** Drops the connection with no closing handshake, as a network failure would. */
  async drop(): Promise<void> {
    this.ws.terminate();
    await sleep(50);
  }
}

/** Engine id of a lab's running container by its TP name, or of its console (`console`, as terminals name it). */
export function containerId(labId: string, name: string): string {
  const which = name === 'console' ? 'label=netlabs.role=console' : `label=netlabs.name=${name}`;
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=netlabs.lab=${labId}`, '--filter', which]).toString().trim();
  if (!ids) throw new Error(`no container ${name} in lab ${labId}`);
  return ids.split('\n')[0];
}

/** `docker top`: one command line per process of the container. */
export function processes(id: string): string[] {
  return execFileSync('docker', ['top', id, '-eo', 'pid,args']).toString().trim().split('\n').slice(1).map((l) => l.trim());
}

export function hostnameOf(id: string): string {
  return execFileSync('docker', ['inspect', '-f', '{{.Config.Hostname}}', id]).toString().trim();
}

/** Resident memory (kB) of the process listening on `apiUrl`'s port. */
export function listenerRssKb(apiUrl: string): number {
  const port = new URL(apiUrl).port;
  const line = execFileSync('ss', ['-Htlnp', `sport = :${port}`]).toString();
  const pid = /pid=(\d+)/.exec(line)?.[1];
  if (!pid) throw new Error(`no process listens on port ${port}`);
  const status = execFileSync('cat', [`/proc/${pid}/status`]).toString();
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
}
