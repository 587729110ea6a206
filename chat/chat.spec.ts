import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// The real programs, run by the python3 on PATH; PYTHON=/usr/bin/python3 picks Debian's,
// the one the lab image has.
const PYTHON = process.env.PYTHON ?? 'python3';
const SERVER = path.join(__dirname, 'serveur.py');
const CLIENT = path.join(__dirname, 'client.py');
const WAIT_MS = 5_000;
// Without PYTHONUNBUFFERED (set on some machines), as in the lab image: the programs must flush themselves.
const { PYTHONUNBUFFERED: _unbuffered, ...PYTHON_ENV } = process.env;

/** Collects the text lines of a stream and lets a test wait for one, with a hard timeout. */
class LineLog {
  readonly lines: string[] = [];
  private partial = '';
  private waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];

  constructor(stream: Readable, private readonly label: string) {
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer) => this.add(decoder.write(chunk)));
  }

  waitFor(pattern: RegExp, timeoutMs = WAIT_MS): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const tail = this.lines.slice(-10).map((l) => l.slice(0, 200));
        reject(new Error(`${this.label}: no line matching ${pattern} within ${timeoutMs} ms; last lines: ${JSON.stringify(tail)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private add(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      const matched = this.waiters.filter((w) => w.pattern.test(line));
      this.waiters = this.waiters.filter((w) => !matched.includes(w));
      matched.forEach((w) => w.resolve(line));
    }
  }
}

/** Everything a test starts; stopped after each test (or after the suite), pass or fail. */
const stoppers: { each: Array<() => void>; all: Array<() => void> } = { each: [], all: [] };

function stopAll(list: Array<() => void>): void {
  for (const stop of list.splice(0)) stop();
}

function waitForExit(proc: ChildProcess, timeoutMs = WAIT_MS): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${proc.pid} still running after ${timeoutMs} ms`)), timeoutMs);
    proc.once('exit', (code) => (clearTimeout(timer), resolve(code)));
  });
}

function python(script: string, args: string[], scope: 'each' | 'all') {
  const proc = spawn(PYTHON, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: PYTHON_ENV });
  stoppers[scope].push(() => proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL'));
  const name = `${path.basename(script)} ${args.join(' ')}`;
  return { proc, out: new LineLog(proc.stdout!, `${name} stdout`), err: new LineLog(proc.stderr!, `${name} stderr`) };
}

async function startServer(scope: 'each' | 'all') {
  const server = python(SERVER, ['--host', '127.0.0.1', '--port', '0'], scope);
  const first = await server.out.waitFor(/^chat server listening on /);
  const port = Number(/^chat server listening on 127\.0\.0\.1:(\d+)$/.exec(first)?.[1]);
  expect(port).toBeGreaterThan(0);
  return { ...server, port };
}

/** A client.py driven through its stdin and stdout, as the lab's checks will drive it. */
async function startClient(port: number, nickname: string, extra: string[] = []) {
  const client = python(CLIENT, ['127.0.0.1', nickname, '--port', String(port), ...extra], 'each');
  await client.out.waitFor(/^\* welcome /);
  return { ...client, say: (text: string) => client.proc.stdin!.write(`${text}\n`) };
}

/** A bare TCP connection, for what a well-behaved client never does. */
async function connectRaw(port: number, nickname: string) {
  const socket = net.connect(port, '127.0.0.1');
  stoppers.each.push(() => socket.destroy());
  const log = new LineLog(socket, `raw ${nickname}`);
  socket.on('error', () => undefined); // a reset is expected in some tests
  socket.write(`${nickname}\n`);
  await log.waitFor(/^\* welcome /);
  return { socket, log };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

afterEach(() => stopAll(stoppers.each));
afterAll(() => stopAll(stoppers.all));

// Real python3 processes: on a busy 2-core CI machine they take seconds to start, not milliseconds.
describe('chat serveur.py relaying between clients', { timeout: 30_000 }, () => {
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer('all');
  });

  /** Proves the server still relays: a fresh pair of clients chat. */
  async function expectServerStillRelays(tag: string): Promise<void> {
    expect(server.proc.exitCode).toBeNull();
    const a = await startClient(server.port, `${tag}-a`);
    const b = await startClient(server.port, `${tag}-b`);
    a.say('still there?');
    await b.out.waitFor(new RegExp(`^\\[${tag}-a\\] still there\\?$`));
  }

  it('welcomes a client, logs it, and announces it to the clients already there', async () => {
    const alice = await startClient(server.port, 'alice');
    expect(alice.out.lines[0]).toBe(`connected to 127.0.0.1:${server.port} as alice`);
    const bob = await startClient(server.port, 'bob');

    expect(await bob.out.waitFor(/^\* welcome/)).toBe('* welcome bob, online: alice');
    await alice.out.waitFor(/^\* bob joined$/);
    await server.out.waitFor(/^127\.0\.0\.1:\d+ is bob$/);
    expect(server.out.lines.some((line) => /^connection from 127\.0\.0\.1:\d+$/.test(line))).toBe(true);
  });

  it("relays a line to every other client with the sender's name, never back to the sender", async () => {
    const anna = await startClient(server.port, 'anna');
    const ben = await startClient(server.port, 'ben');
    const chloe = await startClient(server.port, 'chloé');

    anna.say('bonjour à tous');
    await ben.out.waitFor(/^\[anna\] bonjour à tous$/);
    await chloe.out.waitFor(/^\[anna\] bonjour à tous$/);

    // The server answers in order: had anna's line come back to her, it would be there before ben's.
    ben.say('marker');
    await anna.out.waitFor(/^\[ben\] marker$/);
    expect(anna.out.lines.filter((line) => line.includes('bonjour'))).toEqual([]);
  });

  it('announces a client that leaves with /quit, and that client exits with code 0', async () => {
    const dora = await startClient(server.port, 'dora');
    const eli = await startClient(server.port, 'eli');

    eli.say('/quit');

    await dora.out.waitFor(/^\* eli left$/);
    expect(await waitForExit(eli.proc)).toBe(0);
  });

  it('gives a guest name to an empty nickname and a suffix to a taken one', async () => {
    const first = await connectRaw(server.port, 'fanny');
    const second = await connectRaw(server.port, 'fanny');
    const nameless = await connectRaw(server.port, '   ');

    // clients of earlier tests may still be leaving, hence "online" may name others too
    expect(second.log.lines[0]).toMatch(/^\* welcome fanny-2, online: (.+, )?fanny(, .+)?$/);
    expect(nameless.log.lines[0]).toMatch(/^\* welcome guest-\d+, online: /);
    await first.log.waitFor(/^\* fanny-2 joined$/);
  });

  it('keeps serving the others after a client vanishes with a TCP reset', async () => {
    const gus = await startClient(server.port, 'gus');
    const ghost = await connectRaw(server.port, 'ghost');
    await gus.out.waitFor(/^\* ghost joined$/);

    ghost.socket.resetAndDestroy();

    await gus.out.waitFor(/^\* ghost left$/);
    await server.out.waitFor(/^ghost \(127\.0\.0\.1:\d+\) left: /);
    await expectServerStillRelays('after-reset');
  });

  it('turns bytes that are not UTF-8 into U+FFFD instead of crashing', async () => {
    const hugo = await startClient(server.port, 'hugo');
    const mojibake = await connectRaw(server.port, 'mojibake');

    mojibake.socket.write(Buffer.from([0xff, 0xfe, 0x61, 0x62, 0x63, 0xc3, 0x0a]));

    expect(await hugo.out.waitFor(/^\[mojibake\] /)).toBe('[mojibake] \uFFFD\uFFFDabc\uFFFD');
    await expectServerStillRelays('after-bytes');
  });

  it('drops a 1 MB line sent without a newline, tells its sender, and keeps relaying', { timeout: 20_000 }, async () => {
    const ines = await startClient(server.port, 'ines');
    const flooder = await connectRaw(server.port, 'flooder');

    flooder.socket.write('x'.repeat(1024 * 1024));
    await flooder.log.waitFor(/^\* line too long \(more than 4096 bytes\): not sent$/);
    flooder.socket.write('y'.repeat(1024 * 1024) + '\nafter the flood\n');

    await ines.out.waitFor(/^\[flooder\] after the flood$/, 10_000);
    expect(ines.out.lines.filter((line) => /xxxx|yyyy/.test(line))).toEqual([]);
    expect(flooder.log.lines.filter((line) => line.startsWith('* line too long'))).toHaveLength(1);
    await expectServerStillRelays('after-flood');
  });

  it('relays a line of exactly 4096 bytes and refuses one of 4097', async () => {
    const jules = await startClient(server.port, 'jules');
    const writer = await connectRaw(server.port, 'writer');

    writer.socket.write('é'.repeat(2048) + '\n'); // 4096 bytes of UTF-8
    writer.socket.write('z'.repeat(4097) + '\n');
    writer.socket.write('done\n');

    await jules.out.waitFor(/^\[writer\] done$/);
    expect(jules.out.lines.filter((line) => line.startsWith('[writer]'))).toEqual([`[writer] ${'é'.repeat(2048)}`, '[writer] done']);
    await writer.log.waitFor(/^\* line too long/);
  });

  it('disconnects a client that stops reading, without holding up the others', { timeout: 30_000 }, async () => {
    const sleepy = await connectRaw(server.port, 'sleepy');
    const observer = await connectRaw(server.port, 'observer');
    const talker = await connectRaw(server.port, 'talker');
    sleepy.socket.pause(); // stops reading: its kernel buffers, then its outbox on the server, fill up

    const line = `${'w'.repeat(4000)}\n`;
    for (let megabytes = 0; megabytes < 64 && !observer.log.lines.includes('* sleepy left'); megabytes++) {
      const ok = talker.socket.write(line.repeat(256));
      if (!ok) await new Promise((resolve) => talker.socket.once('drain', resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await observer.log.waitFor(/^\* sleepy left$/, 10_000);
    await server.out.waitFor(/^sleepy \(127\.0\.0\.1:\d+\) left: too slow/);

    talker.socket.write('still fast\n');
    await observer.log.waitFor(/^\[talker\] still fast$/, 10_000);
  });
});

describe('chat client.py', { timeout: 30_000 }, () => {
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer('all');
  });

  it('asks for the server and the nickname when they are not given', async () => {
    const asked = python(CLIENT, ['--port', String(server.port)], 'each');
    asked.proc.stdin!.write('127.0.0.1\nkarim\n');

    await asked.out.waitFor(/connected to 127\.0\.0\.1:\d+ as karim$/);
    await asked.out.waitFor(/^\* welcome karim, /);
  });

  it('keeps receiving after its input ends, and hangs up after --linger', async () => {
    const lea = await startClient(server.port, 'lea');
    const max = await startClient(server.port, 'max', ['--linger', '1']);
    const nora = await startClient(server.port, 'nora');

    lea.proc.stdin!.end('said before leaving\n');
    await nora.out.waitFor(/^\[lea\] said before leaving$/);
    max.proc.stdin!.end();
    nora.say('are you still listening?');

    await lea.out.waitFor(/^\[nora\] are you still listening\?$/);
    await max.out.waitFor(/^\[nora\] are you still listening\?$/);
    await nora.out.waitFor(/^\* max left$/);
    expect(await waitForExit(max.proc)).toBe(0);
    expect(lea.proc.exitCode).toBeNull();
  });

  it('exits with code 2 and a clear message, no traceback, when no server listens', async () => {
    const port = await freePort();
    const lonely = python(CLIENT, ['127.0.0.1', 'olga', '--port', String(port)], 'each');

    expect(await waitForExit(lonely.proc)).toBe(2);
    await lonely.err.waitFor(new RegExp(`^error: cannot connect to the chat server 127\\.0\\.0\\.1:${port}: Connection refused$`));
    expect(lonely.err.lines.join('\n')).not.toMatch(/Traceback/);
  });
});

describe('chat serveur.py stopping', { timeout: 30_000 }, () => {
  it('stops on SIGTERM with exit code 0, telling its clients, who exit with code 0', async () => {
    const server = await startServer('each');
    const paul = await startClient(server.port, 'paul');

    server.proc.kill('SIGTERM');

    expect(await waitForExit(server.proc)).toBe(0);
    expect(server.out.lines.at(-1)).toBe('chat server stopped');
    await paul.out.waitFor(/^\* server shutting down$/);
    await paul.out.waitFor(/^connection closed by server$/);
    expect(await waitForExit(paul.proc)).toBe(0);
  });
});
