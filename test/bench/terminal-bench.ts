/**
 * Terminal benchmark (not a test): `npm run build && node dist/test/bench/terminal-bench.js [sessions=50] [rounds=20]`
 * after `npm test` or `bash infra/setup.sh` (it needs the built dist/ and the stack).
 *
 * Opens `sessions` terminals at once, spread over labs of 5 terminals each (a class where
 * every student has several tabs), then measures the echo round trip: a keystroke sent
 * on the WebSocket until its echo comes back from the shell in the container. Once with
 * one session typing while all are open, then with every session typing at once. Prints
 * the API process's resident memory before, with the sessions open, and after.
 */
import { TestStack } from '../support/stack';
import { listenerRssKb, TestTerminal } from '../support/terminal-client';
import { waitFor } from '../support/wait-for';
import { summary } from './stats';

const PER_LAB = 5;
const CONTAINERS = ['container1', 'container2', 'mon-serveur'];

async function main(): Promise<void> {
  const sessions = Number(process.argv[2] ?? 50);
  const rounds = Number(process.argv[3] ?? 20);
  process.env.LAB_IMAGE_HTTPD ??= 'netlabs-local/httpd:2.4';
  process.env.LAB_IMAGE_UBUNTU ??= 'netlabs-local/ubuntu:24.04';
  process.env.LAB_IMAGE_PULL ??= 'false';
  process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/netlabs_test';
  const stack = new TestStack({ TERMINAL_MAX_PER_LAB: String(PER_LAB) });
  await stack.start();
  const terminals: TestTerminal[] = [];
  try {
    const labCount = Math.ceil(sessions / PER_LAB);
    console.log(`NetLabs terminal benchmark: ${sessions} sessions over ${labCount} labs, ${rounds} rounds of keystrokes`);
    const created = await stack.createClassAndWait(Array.from({ length: labCount }, (_, i) => `tbench-${i}`), 'terminal bench');
    await Promise.all(created.labs.map(async (lab) => {
      const run = await stack.request('POST', `/labs/${lab.id}/steps/2c/run`, {}, lab.token);
      if (run.status !== 200) throw new Error(`2c run in ${lab.id}: ${run.status} ${JSON.stringify(run.body).slice(0, 300)}`);
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

    const alone: number[] = [];
    for (let r = 0; r < rounds; r++) alone.push(await keystroke(terminals[r % terminals.length]));
    const together: number[] = [];
    for (let r = 0; r < rounds; r++) together.push(...(await Promise.all(terminals.map((t) => keystroke(t)))));
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
    const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
    console.log(`API RSS: ${mb(rssIdle)} before, ${mb(rssOpen)} with ${sessions} open (+${mb(rssOpen - rssIdle)}, ${((rssOpen - rssIdle) / sessions).toFixed(0)} kB a session), ${mb(rssBusy)} after typing, ${mb(rssClosed)} after closing`);
    await stack.request('DELETE', `/classes/${created.id}`);
  } finally {
    for (const t of terminals) t.ws.terminate();
    await stack.stop();
  }
}

/** One keystroke: from the frame sent to the first output frame carrying its echo. */
function keystroke(terminal: TestTerminal): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no echo within 10 s')), 10_000);
    const t0 = performance.now();
    const onMessage = (data: Buffer, binary: boolean) => {
      if (!binary || !data.includes('x')) return;
      clearTimeout(timer);
      terminal.ws.off('message', onMessage);
      resolve(performance.now() - t0);
    };
    terminal.ws.on('message', onMessage);
    terminal.type('x');
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
