import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatDriverCommand, clientLines, connectError, driverStatus, tcpProbeCommand, tcpProbeOutcome } from './chat-probe';
import { freePort } from './testing/fake-tenant-docker';

// The scripts the chat checks give `python3 -c` inside the lab's containers, run here
// against the real chat server and the real client, as processes on 127.0.0.1 (IP
// literals only: no name lookup leaves the machine).
const PYTHON = process.env.PYTHON ?? 'python3';
const CHAT = path.join(__dirname, '..', '..', 'chat');
const CLIENT = path.join(CHAT, 'client.py');
const HOST = '127.0.0.1';

interface Run {
  code: number | null;
  stdout: string;
  ms: number;
}

/** Runs a check's argv (its leading `python3` replaced by PYTHON), with a hard timeout. */
function run(argv: string[], timeoutMs = 15_000): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(PYTHON, argv.slice(1), { timeout: timeoutMs }, (error, stdout) => {
      const code = error ? ((error as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, ms: Date.now() - started });
    });
  });
}

// Real python3 processes: seconds, not milliseconds, to start on a busy 2-core machine.
describe('chat probe scripts', { timeout: 30_000 }, () => {
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    server = spawn(PYTHON, [path.join(CHAT, 'serveur.py'), '--host', HOST, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('chat server did not start within 5 s')), 5_000);
      server.stdout!.on('data', (chunk: Buffer) => {
        const m = /listening on [\d.]+:(\d+)/.exec(chunk.toString());
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
  });

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  const driver = (role: 'send' | 'recv', nick: string, opts: { token?: string; wanted?: string[]; limitMs?: number; port?: number } = {}) =>
    run(
      chatDriverCommand({
        role,
        clientPath: CLIENT,
        host: HOST,
        port: opts.port ?? port,
        nick,
        token: opts.token ?? 'tok',
        sender: 'probe-1',
        wanted: opts.wanted ?? [],
        limitMs: opts.limitMs ?? 5_000,
      }),
      (opts.limitMs ?? 5_000) + 10_000,
    );

  it('tcp probe: open, then refused on a port nobody listens on', async () => {
    const open = await run(tcpProbeCommand(HOST, port, 2_000));
    expect(tcpProbeOutcome(open.code, open.stdout)).toEqual({ kind: 'open' });
    const refused = await run(tcpProbeCommand(HOST, await freePort(), 2_000));
    expect(tcpProbeOutcome(refused.code, refused.stdout)).toEqual({ kind: 'refused' });
  });

  it('tcp probe outcome: reads each kind, and nothing from a probe that could not run', () => {
    expect(tcpProbeOutcome(3, 'unresolved\n')).toEqual({ kind: 'unresolved' });
    expect(tcpProbeOutcome(5, 'timeout\n')).toEqual({ kind: 'timeout' });
    expect(tcpProbeOutcome(6, 'error No route to host\n')).toEqual({ kind: 'error', detail: 'No route to host' });
    expect(tcpProbeOutcome(127, '')).toBeUndefined();
  });

  it('a line sent by one driven client reaches the two others through the server, once they are online', async () => {
    const token = `t-${Date.now()}`;
    // The sender starts first and must wait for both receivers to join before sending.
    // Deadlines far above a quiet machine's need: python starts in seconds on a loaded CI machine.
    const sender = driver('send', 'probe-1', { token, wanted: ['probe-2', 'probe-3'], limitMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const [s, r2, r3] = await Promise.all([sender, driver('recv', 'probe-2', { token, limitMs: 25_000 }), driver('recv', 'probe-3', { token, limitMs: 25_000 })]);
    expect(s.code).toBe(0);
    expect(driverStatus(s.stdout)).toBe('sent');
    for (const r of [r2, r3]) {
      expect(r.code).toBe(0);
      expect(driverStatus(r.stdout)).toBe('received');
      expect(clientLines(r.stdout)).toContain(`[probe-1] ${token}`);
      expect(r.ms).toBeLessThan(15_000); // done as soon as the line arrives, not at the 25 s deadline
    }
  });

  it('a receiver that gets nothing ends at its deadline with "timeout"', async () => {
    const r = await driver('recv', 'probe-lonely', { limitMs: 1_000 });
    expect(r.code).toBe(3);
    expect(driverStatus(r.stdout)).toBe('timeout');
    expect(clientLines(r.stdout)[0]).toMatch(/^connected to 127\.0\.0\.1:\d+ as probe-lonely$/);
  });

  it('a sender whose receivers never join says which ones are missing, and sends nothing', async () => {
    const s = await driver('send', 'probe-1', { wanted: ['probe-2', 'probe-9'], limitMs: 1_000 });
    expect(s.code).toBe(3);
    expect(driverStatus(s.stdout)).toBe('missing probe-2,probe-9');
  });

  it('a client that cannot connect exits with 2 and says why', async () => {
    const r = await driver('recv', 'probe-2', { port: await freePort(), limitMs: 3_000 });
    expect(r.code).toBe(2);
    expect(connectError(r.stdout)).toBe('Connection refused');
    expect(driverStatus(r.stdout)).toBe('client exited with code 2');
  });
});
