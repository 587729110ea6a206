/**
 * Terminal benchmark (not a test): `npm run bench -- --only terminal [--terminal-sessions 50]
 * [--terminal-rounds 20]`, or `node dist/test/bench/terminal-bench.js [sessions=50] [rounds=20]`,
 * after `npm test` or `bash infra/setup.sh` (it needs the built dist/ and the stack).
 *
 * Opens `sessions` terminals at once, spread over labs of 5 terminals each (a class where
 * every student has several tabs), then measures the echo round trip: a keystroke sent
 * on the WebSocket until its echo comes back from the shell in the container. Once with
 * one session typing while all are open, then with every session typing at once. Beside
 * it, the floor (issue 12: "echo with 50 typing within 2x a raw TTY exec"): as many raw
 * TTY execs of the same shell (TERMINAL_CMD) in the same containers, straight on the
 * engine with dockerode, every one typing at once; rounds interleaved with NetLabs'.
 * And between the two, the bare relay (bare-relay.ts): the same shells behind the least
 * a WebSocket relay in a Node process does, which tells the hop's own cost from NetLabs'.
 * Prints the API process's resident memory before, with the sessions open, and after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import WebSocket from 'ws';
import { TERMINAL_CMD } from '../../libs/docker/docker-exec';
import { TestStack } from '../support/stack';
import { listenerRssKb, TestTerminal } from '../support/terminal-client';
import { waitFor } from '../support/wait-for';
import { requireLabRoom } from './bench-pools';
import { runStep } from './run-step';
import { cpuMs, percentile, summary } from './stats';

const PER_LAB = 5;
const CONTAINERS = ['container1', 'container2', 'mon-serveur'];

async function main(): Promise<void> {
  process.env.LAB_IMAGE_HTTPD ??= 'netlabs-local/httpd:2.4';
  process.env.LAB_IMAGE_UBUNTU ??= 'netlabs-local/ubuntu:24.04';
  process.env.LAB_IMAGE_PULL ??= 'false';
  process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/netlabs_test';
  await benchTerminal(Number(process.argv[2] ?? 50), Number(process.argv[3] ?? 20));
}

/** The terminal scenario on a stack of its own (5 terminals a lab allowed). */
export async function benchTerminal(sessions = 50, rounds = 20): Promise<void> {
  requireLabRoom(Math.ceil(sessions / PER_LAB), 'the terminal scenario');
  const stack = new TestStack({ TERMINAL_MAX_PER_LAB: String(PER_LAB) });
  await stack.start();
  const terminals: TestTerminal[] = [];
  const raw: RawTty[] = [];
  const bare: WebSocket[] = [];
  let relay: ChildProcess | undefined;
  try {
    const labCount = Math.ceil(sessions / PER_LAB);
    console.log(`NetLabs terminal benchmark: ${sessions} sessions over ${labCount} labs, ${rounds} rounds of keystrokes`);
    const created = await stack.createClassAndWait(Array.from({ length: labCount }, (_, i) => `tbench-${i}`), 'terminal bench');
    await Promise.all(created.labs.map(async (lab) => {
      const run = await runStep(stack, lab.id, '2c');
      if (!run.succeeded) throw new Error(`2c run in ${lab.id}: ${String(run.error ?? JSON.stringify(run).slice(-600))}`);
    }));
    const rssIdle = listenerRssKb(stack.apiUrl);

    const openTimes: number[] = [];
    const opened = await Promise.all(Array.from({ length: sessions }, async (_, i) => {
      const lab = created.labs[Math.floor(i / PER_LAB)];
      const t0 = performance.now();
      const session = await stack.request('POST', `/labs/${lab.id}/terminals`, { container: CONTAINERS[i % CONTAINERS.length] }, lab.token);
      if (session.status !== 201) throw new Error(`terminal ${i}: ${session.status} ${JSON.stringify(session.body)}`);
      const terminal = await TestTerminal.open(stack.apiUrl, session.body.url, { header: lab.token });
      await terminal.waitForOutput(/[#$] $/, 15_000);
      openTimes.push(performance.now() - t0);
      return terminal;
    }));
    terminals.push(...opened);
    const rssOpen = listenerRssKb(stack.apiUrl);

    // The floor's shells: the same command in the same containers, one raw TTY exec each.
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    raw.push(...(await Promise.all(Array.from({ length: sessions }, async (_, i) => {
      const lab = created.labs[Math.floor(i / PER_LAB)];
      return RawTty.open(docker, await containerOf(docker, lab.id, CONTAINERS[i % CONTAINERS.length]));
    }))));

    // The bare relay's shells: the same command in the same containers again.
    const started = await startBareRelay();
    relay = started.child;
    bare.push(...(await Promise.all(Array.from({ length: sessions }, async (_, i) => {
      const lab = created.labs[Math.floor(i / PER_LAB)];
      return openBare(started.port, await containerOf(docker, lab.id, CONTAINERS[i % CONTAINERS.length]));
    }))));

    const alone: number[] = [];
    for (let r = 0; r < rounds; r++) alone.push(await keystroke(terminals[r % terminals.length].ws));
    const together: number[] = [];
    const relayed: number[] = [];
    const floor: number[] = [];
    /** CPU (ms, 10 ms ticks) of the API and of the bare relay while each one's rounds ran. */
    const cpu = { api: 0, relay: 0 };
    for (let r = 0; r < rounds; r++) {
      let before = cpuMs(stack.apiPid);
      together.push(...(await Promise.all(terminals.map((t) => keystroke(t.ws)))));
      cpu.api += cpuMs(stack.apiPid) - before;
      before = cpuMs(relay.pid);
      relayed.push(...(await Promise.all(bare.map((ws) => keystroke(ws)))));
      cpu.relay += cpuMs(relay.pid) - before;
      floor.push(...(await Promise.all(raw.map((t) => t.keystroke()))));
    }
    const rssBusy = listenerRssKb(stack.apiUrl);

    await Promise.all(terminals.map((t) => t.close()));
    terminals.length = 0;
    await waitFor('sessions to end', async () => {
      const views = await Promise.all(created.labs.map((lab) => stack.request('GET', `/labs/${lab.id}/terminals`, undefined, lab.token)));
      return views.every((v) => v.body.sessions.length === 0);
    });
    const rssClosed = listenerRssKb(stack.apiUrl);

    console.log(summary(`open a terminal (POST + upgrade + prompt), ${sessions} at once`, openTimes));
    console.log(summary(`echo round trip, 1 typing, ${sessions} open`, alone));
    console.log(summary(`echo round trip, ${sessions} typing at once`, together));
    console.log(summary(`bare relay (ws + exec, nothing else), ${sessions} typing at once`, relayed));
    console.log(summary(`floor: raw TTY exec, ${sessions} typing at once`, floor));
    const ratio = (p: number, a = together, b = floor) => (percentile(a, p) / percentile(b, p)).toFixed(2);
    console.log(`terminal echo / raw TTY exec, ${sessions} typing: p50 ${ratio(50)}x  p95 ${ratio(95)}x  (goal <= 2x)`);
    console.log(`bare relay / raw TTY exec: p50 ${ratio(50, relayed)}x  p95 ${ratio(95, relayed)}x;  terminal echo / bare relay: p50 ${ratio(50, together, relayed)}x  p95 ${ratio(95, together, relayed)}x`);
    const perKey = (ms: number) => (ms / (sessions * rounds)).toFixed(3);
    console.log(`CPU a keystroke while typing: API ${perKey(cpu.api)} ms, bare relay ${perKey(cpu.relay)} ms (${sessions * rounds} keystrokes each)`);
    const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
    console.log(`API RSS: ${mb(rssIdle)} before, ${mb(rssOpen)} with ${sessions} open (+${mb(rssOpen - rssIdle)}, ${((rssOpen - rssIdle) / sessions).toFixed(0)} kB a session), ${mb(rssBusy)} after typing, ${mb(rssClosed)} after closing`);
    await stack.request('DELETE', `/classes/${created.id}`);
  } finally {
    for (const t of terminals) t.ws.terminate();
    for (const t of raw) t.close();
    for (const ws of bare) ws.terminate();
    relay?.kill('SIGTERM');
    await stack.stop();
  }
}

/** One keystroke: from the frame sent (binary, as the page types) to the first output frame carrying its echo. */
function keystroke(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no echo within 10 s')), 10_000);
    const t0 = performance.now();
    const onMessage = (data: Buffer, binary: boolean) => {
      if (!binary || !data.includes('x')) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(performance.now() - t0);
    };
    ws.on('message', onMessage);
    ws.send(Buffer.from('x'));
  });
}

/** The bare relay in a process of its own, and the port it printed. */
async function startBareRelay(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'bare-relay.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bare relay exited (${code})`)));
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  return { child, port };
}

/** A shell behind the bare relay, once its prompt showed. */
async function openBare(port: number, container: Docker.Container): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?container=${container.id}`, { perMessageDeflate: false });
  let output = '';
  ws.on('message', (data: Buffer) => (output += data.toString('utf8')));
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await waitFor('a prompt behind the bare relay', async () => /[#$] $/.test(output), { timeoutMs: 15_000, intervalMs: 50 });
  return ws;
}

/** A lab container's engine object, by the lab and the name the student knows. */
async function containerOf(docker: Docker, labId: string, name: string): Promise<Docker.Container> {
  const found = await docker.listContainers({ filters: { label: [`netlabs.lab=${labId}`, `netlabs.name=${name}`] } });
  if (found.length !== 1) throw new Error(`lab ${labId}: ${found.length} containers named ${name}`);
  return docker.getContainer(found[0].Id);
}

/** The floor's terminal: the shell of TERMINAL_CMD in a raw TTY exec on the engine socket, no NetLabs in between. */
class RawTty {
  private output = '';
  private constructor(private readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
    stream.on('error', () => undefined);
  }

  static async open(docker: Docker, container: Docker.Container): Promise<RawTty> {
    const exec = await container.exec({ Cmd: TERMINAL_CMD, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Env: ['TERM=xterm-256color'] });
    const tty = new RawTty((await exec.start({ hijack: true, stdin: true, Detach: false, Tty: true })) as Duplex);
    await exec.resize({ h: 24, w: 80 }).catch(() => undefined);
    await waitFor('a prompt in the raw exec', async () => /[#$] $/.test(tty.output), { timeoutMs: 15_000, intervalMs: 50 });
    return tty;
  }

  /** One keystroke: from the write to the first output carrying its echo. */
  keystroke(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo within 10 s (raw exec)')), 10_000);
      const t0 = performance.now();
      const onData = (chunk: Buffer) => {
        if (!chunk.includes('x')) return;
        clearTimeout(timer);
        this.stream.off('data', onData);
        resolve(performance.now() - t0);
      };
      this.stream.on('data', onData);
      this.stream.write('x');
    });
  }

  close(): void {
    this.stream.destroy();
  }
}

if (require.main === module) main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
