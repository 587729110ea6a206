import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, request } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testDb } from './support/db';
import { TestStack } from './support/stack';
import { containerId, processes, TestTerminal } from './support/terminal-client';
import { sleep, waitFor } from './support/wait-for';

const LEASE_MS = 3_000;
const TICKET_TTL_MS = 15_000;
const MAX = 3;
const ANON_LIMIT = 8;

/**
 * Several API processes of one deployment, called directly as the shipped proxy would
 * route them: /terminals/<sessionId> always to the same process (the test picks which),
 * every other route to any process.
 */
describe('terminals across API processes (real APIs, worker, Postgres, Redis and Docker)', () => {
  const stack = new TestStack({
    TERMINAL_MAX_PER_LAB: String(MAX),
    TERMINAL_LEASE_MS: String(LEASE_MS),
    TERMINAL_GRACE_MS: '20000',
    TERMINAL_TICKET_TTL_MS: String(TICKET_TTL_MS),
    RATE_LIMIT_ANON: String(ANON_LIMIT),
  });
  let db: Pool;
  let lab: { id: string; token: string };
  let apiA: string;
  let apiB: string;
  let apiC: string;

  const create = (api: string) => stack.requestAt(api, 'POST', `/labs/${lab.id}/terminals`, { container: 'console' }, lab.token);
  const reconnect = (api: string, sessionId: string) => stack.requestAt(api, 'POST', `/labs/${lab.id}/terminals/${sessionId}/reconnect`, {}, lab.token);
  const end = (api: string, sessionId: string) => stack.requestAt(api, 'DELETE', `/labs/${lab.id}/terminals/${sessionId}`, undefined, lab.token);
  const sessions = async (api: string) => (await stack.requestAt(api, 'GET', `/labs/${lab.id}/terminals`, undefined, lab.token)).body.sessions as { id: string; state: string }[];
  const endReason = (id: string) =>
    waitFor(`session ${id} to be recorded as ended`, async () => (await db.query(`select "endReason" from "TerminalSession" where id = $1`, [id])).rows[0]?.endReason ?? undefined, {
      timeoutMs: 15_000,
    });
  /** Creates on `creator`, opens (first upgrade) on `opener`. */
  const openOn = async (creator: string, opener: string) => {
    const created = await create(creator);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return TestTerminal.open(opener, created.body.url, { header: lab.token });
  };
  const endAll = async () => {
    for (const s of await sessions(apiA)) await end(apiA, s.id);
    await waitFor('every session of the lab to end', async () => (await sessions(apiA)).length === 0, { timeoutMs: 15_000 });
  };

  beforeAll(async () => {
    db = testDb();
    await stack.start();
    apiA = stack.apiUrl;
    apiB = await stack.startAnotherApi();
    apiC = await stack.startAnotherApi({ TRUST_PROXY: 'loopback' });
    const created = await stack.createClassAndWait(['ada'], 'terminals on several processes');
    lab = created.labs[0];
  });

  afterAll(async () => {
    await stack.stop();
    await db?.end();
  });

  it('opens on B a session created on A; reconnects reach the owner; another process refuses the upgrade without burning the ticket', async () => {
    const terminal = await openOn(apiA, apiB);
    const id = terminal.ready!.session;
    expect(await terminal.run('echo "multi""-ok"')).toContain('multi-ok');
    const pid = /PID=(\d+)/.exec(await terminal.run('echo "PID=$$"'))![1];
    // Every process lists it, attached.
    for (const api of [apiA, apiB, apiC]) expect(await sessions(api)).toEqual([expect.objectContaining({ id, state: 'attached', container: 'console' })]);

    await terminal.drop();
    await waitFor('the session to show detached', async () => (await sessions(apiC))[0]?.state === 'detached');
    // A new url from a third process; the upgrade misrouted to A is refused and the url still works on B.
    const again = await reconnect(apiC, id);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(await TestTerminal.refused(apiA, again.body.url, { header: lab.token })).toMatchObject({ status: 421, body: { message: expect.stringMatching(/another NetLabs API process/) } });
    const back = await TestTerminal.open(apiB, again.body.url, { header: lab.token }, { since: terminal.offset });
    expect(await back.run('echo "PID=$$"')).toContain(`PID=${pid}`);
    // Used once, whichever process it is shown to.
    expect(await TestTerminal.refused(apiB, again.body.url, { header: lab.token })).toMatchObject({ status: 403 });
    // The ticket is checked before the owner: a used url tells nothing about where the session runs.
    expect(await TestTerminal.refused(apiC, again.body.url, { header: lab.token })).toMatchObject({ status: 403 });
    await back.close();
    expect(await endReason(id)).toBe('closed');
  });

  it(`holds TERMINAL_MAX_PER_LAB (${MAX}) across processes: two creations racing for the last slot on A and B, one wins`, async () => {
    await endAll();
    const first = await create(apiA);
    const second = await create(apiB);
    expect([first.status, second.status]).toEqual([201, 201]);
    for (let round = 0; round < 3; round++) {
      const race = await Promise.all([create(apiA), create(apiB)]);
      expect(race.map((r) => r.status).sort(), JSON.stringify(race.map((r) => r.body))).toEqual([201, 429]);
      const refused = race.find((r) => r.status === 429)!;
      expect(refused.body.message).toMatch(new RegExp(`already has ${MAX} open terminals, the most allowed`));
      const won = race.find((r) => r.status === 201)!;
      // Ended on the process that did not create it (nobody opened it yet): the slot is free at once.
      expect((await end(apiC, won.body.id)).status).toBe(200);
      expect(await endReason(won.body.id)).toBe('ended-by-request');
    }
    expect((await sessions(apiC)).map((s) => s.id).sort()).toEqual([first.body.id, second.body.id].sort());
    await endAll();
  });

  it("ends a session from a process that does not hold its shell: the owner closes it", async () => {
    const terminal = await openOn(apiA, apiB);
    const id = terminal.ready!.session;
    const ended = await end(apiA, id);
    expect(ended).toMatchObject({ status: 200, body: { id, state: 'ending' } });
    expect(await terminal.waitClosed(10_000)).toEqual({ code: 1000, reason: 'ended by request' });
    expect(await endReason(id)).toBe('ended-by-request');
    await waitFor('the ended session to be gone everywhere', async () => (await end(apiA, id)).status === 404);
  });

  it('a process killed (SIGKILL) under its terminals: clients see it, the others say why, its slots come back, a new terminal works', async () => {
    await endAll();
    const apiD = await stack.startAnotherApi();
    const held = [await openOn(apiA, apiD), await openOn(apiB, apiD), await openOn(apiC, apiD)];
    expect((await create(apiA)).status).toBe(429);
    await stack.killApi(apiD);
    const killedAt = Date.now();
    // Within the lease, the dead process's sessions stop counting: watched from now on, beside
    // the checks below (they take their own time, seconds on a loaded machine).
    const freed = waitFor('the dead sessions to stop counting', async () => ((await sessions(apiA)).length === 0 ? Date.now() - killedAt : undefined), {
      timeoutMs: LEASE_MS * 3,
      intervalMs: 200,
    });
    freed.catch(() => undefined); // awaited below; a failure before then is not an unhandled rejection
    for (const terminal of held) expect((await terminal.waitClosed(10_000)).code).toBe(1006);

    // The page asks for a new url on a survivor: once the dead process's lease ran out, gone, with the reason.
    const lostId = held[0].ready!.session;
    const asked = await waitFor('the reconnect to say the session is gone', async () => {
      const answer = await reconnect(apiA, lostId);
      return answer.status === 201 ? undefined : answer;
    }, { timeoutMs: LEASE_MS * 3, intervalMs: 200 });
    const goneAfterMs = Date.now() - killedAt;
    expect(asked).toMatchObject({ status: 410, body: { statusCode: 410, error: 'Gone', message: expect.stringMatching(/NetLabs server process that ran it stopped; open a new terminal/) } });
    expect(await endReason(lostId)).toBe('owner-lost');
    // An upgrade that reaches a survivor is accepted only to say so: a line, then close code 4410.
    const upgrade = await closedAtOnce(apiB, `/terminals/${held[1].ready!.session}?ticket=whatever`, lab.token);
    expect(upgrade.code).toBe(4410);
    expect(upgrade.output).toContain('[netlabs] this terminal was lost: the NetLabs server process that ran it stopped; open a new terminal');

    // Once they stopped counting, MAX new sessions fit.
    const freedMs = await freed;
    const fresh = [];
    for (let i = 0; i < MAX; i++) fresh.push(await create(i % 2 ? apiB : apiA));
    expect(fresh.map((r) => r.status)).toEqual(Array(MAX).fill(201));
    const terminal = await TestTerminal.open(apiA, fresh[0].body.url, { header: lab.token });
    expect(await terminal.run('echo "survivor""-ok"')).toContain('survivor-ok');
    await terminal.close();
    for (const r of fresh.slice(1)) await end(apiB, r.body.id);
    console.log(`API process SIGKILLed (TERMINAL_LEASE_MS=${LEASE_MS}): reconnect answers 410 after ${goneAfterMs} ms, its slots free after ${freedMs} ms`);
    expect(freedMs).toBeLessThanOrEqual(LEASE_MS + 1_500);
  });

  it('a process killed (SIGKILL): a survivor kills its shells in the containers and closes their records, a session it created unopened too, once each', async () => {
    await endAll();
    const apiF = await stack.startAnotherApi();
    const consoleId = containerId(lab.id, 'console');
    const terminal = await openOn(apiA, apiF);
    const id = terminal.ready!.session;
    const pid = /PID=(\d+)/.exec(await terminal.run('echo "PID=$$"'))![1];
    // What the shell started goes with it (the session's tag is inherited).
    await terminal.run('sleep 86417 & echo "bg""-started"');
    const alive = () => inContainer(consoleId, `kill -0 ${pid}`);
    const sleeping = () => processes(consoleId).some((p) => p.includes('sleep 86417'));
    expect(alive()).toBe(true);
    expect(sleeping()).toBe(true);
    // Created on F and never opened: F's own timer would have ended it when its ticket ran out.
    const unopened = await create(apiF);
    expect(unopened.status, JSON.stringify(unopened.body)).toBe(201);

    await stack.killApi(apiF);
    const killedAt = Date.now();
    // Nobody reconnects: the survivors' sweep alone must notice.
    await waitFor('the dead process\'s shell to be gone from the container', () => !alive() && !sleeping(), { timeoutMs: LEASE_MS + 15_000, intervalMs: 250 });
    const shellGoneAfterMs = Date.now() - killedAt;
    expect(await endReason(id)).toBe('owner-lost');
    const closedAfterMs = Date.now() - killedAt;
    // Asked now, while its record is still in Redis (TERMINAL_LEASE_MS + TERMINAL_GRACE_MS after the
    // last heartbeat, 23 s here): after that it is simply unknown, 404, which the waits below outlast.
    expect((await reconnect(apiA, id)).status).toBe(410);
    expect(await endReason(unopened.body.id)).toBe('never-opened');
    const unopenedAfterMs = Date.now() - killedAt;
    // Once: one process took each, so one line per session in all the survivors' logs together.
    for (const line of [`terminal ${id} ended: owner-lost (nobody held it`, `terminal ${unopened.body.id} ended: never-opened (nobody held it`]) {
      await waitFor(`the log line "${line}"`, () => stack.apiLogLines(line).length > 0);
      await sleep(LEASE_MS);
      expect(stack.apiLogLines(line)).toHaveLength(1);
    }
    expect(await sessions(apiB)).toEqual([]);
    console.log(
      `API process SIGKILLed (TERMINAL_LEASE_MS=${LEASE_MS}): its shell gone from the container after ${shellGoneAfterMs} ms, record closed after ${closedAfterMs} ms, its unopened session (ticket ${TICKET_TTL_MS} ms) closed after ${unopenedAfterMs} ms`,
    );
    expect(shellGoneAfterMs).toBeLessThanOrEqual(LEASE_MS + 10_000);
  });

  it('the student page, when the process running its terminal dies: says so in words, and one click opens a new terminal that works', async () => {
    await endAll();
    const apiE = await stack.startAnotherApi();
    // The shipped proxy's routing, in small: /terminals/* to E while it lives (a survivor after), the rest to A.
    const proxy = await routingProxy(apiA, () => apiE);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${proxy.url}/labs/${lab.id}/page#token=${encodeURIComponent(lab.token)}`);
      await page.waitForFunction(() => document.documentElement.lang === 'fr');
      await waitScreen(page, /@hôte:[^\n]*[#$]\s*$/m, 60_000);
      await typeLine(page, 'echo "AVANT""-PANNE"');
      await waitScreen(page, /AVANT-PANNE/);
      const [first] = await sessions(apiA);
      expect(first).toMatchObject({ state: 'attached' });

      await stack.killApi(apiE);
      const notice = page.locator('.lost-notice');
      await notice.waitFor({ state: 'visible', timeout: 60_000 });
      expect(await notice.locator('p').textContent()).toBe(
        'Ce terminal s’est fermé : le serveur NetLabs qui le faisait tourner s’est arrêté. Votre lab et vos conteneurs sont toujours là : seule cette fenêtre de terminal est perdue. Ouvrez un nouveau terminal pour continuer.',
      );
      await waitScreen(page, /\[netlabs\] Ce terminal s’est fermé/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'terminal-server-lost-fr.png') });
      expect(await endReason(first.id)).toBe('owner-lost');

      await notice.getByRole('button', { name: 'Ouvrir un nouveau terminal' }).click();
      await page.locator('.lost-notice').waitFor({ state: 'detached' });
      await page.locator('.tab').first().waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.locator('.tab').count()).toBe(1);
      await waitScreen(page, /@hôte:[^\n]*[#$]\s*$/m, 60_000);
      await typeLine(page, 'echo "APRES""-PANNE"');
      await waitScreen(page, /APRES-PANNE/);
      const now = await sessions(apiA);
      expect(now).toEqual([expect.objectContaining({ state: 'attached', container: 'console' })]);
      expect(now[0].id).not.toBe(first.id);
      await page.screenshot({ path: path.join(ARTIFACTS, 'terminal-server-lost-reopened.png') });
    } finally {
      await browser.close();
      await proxy.close();
    }
  });

  describe('TRUST_PROXY, tried like an attacker (requests with a wrong token count against the client address)', () => {
    const badRequest = (api: string, forwardedFor?: string) =>
      fetch(`${api}/labs/${lab.id}`, { headers: { authorization: 'Bearer nls_wrong', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) } }).then((r) => r.status);
    const badUpgrade = (api: string, forwardedFor: string) => upgradeStatus(api, `/terminals/${lab.id}?ticket=x`, 'nls_wrong', forwardedFor);

    it('unset (process A): a forged X-Forwarded-For changes nothing, on REST and on upgrades', async () => {
      const statuses = [];
      for (let i = 1; i <= ANON_LIMIT; i++) statuses.push(await badRequest(apiA, `198.51.100.${i}`));
      expect(statuses).toEqual(Array(ANON_LIMIT).fill(401));
      // All counted as 127.0.0.1: a fresh forged address is refused too.
      expect(await badRequest(apiA, '198.51.100.99')).toBe(429);
      expect(await badUpgrade(apiA, '198.51.100.98')).toBe(429);
    });

    it('loopback (process C): the header counts when the peer is loopback (the proxy), per forwarded client', async () => {
      // 127.0.0.1 itself is over its limit now (previous test): the header is what C counts.
      const statuses = [];
      for (let i = 0; i < ANON_LIMIT; i++) statuses.push(await badRequest(apiC, '203.0.113.5'));
      expect(statuses).toEqual(Array(ANON_LIMIT).fill(401));
      expect(await badRequest(apiC, '203.0.113.5')).toBe(429);
      expect(await badUpgrade(apiC, '203.0.113.5')).toBe(429);
      expect(await badRequest(apiC, '203.0.113.6')).toBe(401);
      expect(await badUpgrade(apiC, '203.0.113.7')).toBe(401);
      // The leftmost entries are the client's own words: only the one the trusted proxy added counts.
      expect(await badRequest(apiC, '203.0.113.6, 203.0.113.5')).toBe(429);
    });

    it('loopback (process C): a peer that is not loopback cannot choose its address with the header', async (context) => {
      const own = Object.values(networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      if (!own) return context.skip('this machine has no IPv4 address besides loopback');
      // The API on this machine, reached through its own non-loopback address (nothing leaves the machine).
      const viaOwn = apiC.replace('127.0.0.1', own);
      const statuses = [];
      for (let i = 1; i <= ANON_LIMIT; i++) statuses.push(await badRequest(viaOwn, `192.0.2.${i}`));
      expect(statuses).toEqual(Array(ANON_LIMIT).fill(401));
      expect(await badRequest(viaOwn, '192.0.2.99')).toBe(429);
      expect(await badUpgrade(viaOwn, '192.0.2.98')).toBe(429);
      // Counted under the peer's own address, not under 192.0.2.x: through the proxy, 192.0.2.99 is a fresh client.
      expect(await badRequest(apiC, '192.0.2.99')).toBe(401);
    });
  });
});

const ARTIFACTS = path.resolve(__dirname, '..', 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** What the active terminal shows, one line per row. */
const screenText = (page: Page) =>
  page.evaluate(() => Array.from(document.querySelectorAll('.screen:not([hidden]) .xterm-rows > div')).map((row) => row.textContent ?? '').join('\n'));

async function waitScreen(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await screenText(page);
    if (pattern.test(text)) return;
    await page.waitForTimeout(200);
  }
  throw new Error(`the terminal never showed ${pattern}; it shows:\n${text}`);
}

async function typeLine(page: Page, line: string): Promise<void> {
  await page.locator('.screen:not([hidden]) .xterm').click();
  await page.keyboard.type(line, { delay: 0 });
  await page.keyboard.press('Enter');
}

/**
 * A reverse proxy on loopback that routes as the shipped one does: every /terminals/ upgrade
 * to `terminals()` (to `rest` when that process does not answer, as consistent hashing moves
 * a dead server's share to a live one), everything else to `rest`.
 */
async function routingProxy(rest: string, terminals: () => string): Promise<{ url: string; close(): Promise<void> }> {
  const portOf = (url: string) => Number(new URL(url).port);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const upstream = request({ host: '127.0.0.1', port: portOf(rest), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('error', () => undefined);
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    const attempt = (targets: string[]) => {
      const upstream = connect(portOf(targets[0]), '127.0.0.1');
      upstream.once('connect', () => {
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length) upstream.write(head);
        client.pipe(upstream).pipe(client);
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
      upstream.once('error', () => (targets.length > 1 ? attempt(targets.slice(1)) : client.destroy()));
    };
    attempt(req.url?.startsWith('/terminals/') ? [terminals(), rest] : [rest]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The status of a refused upgrade (with a forwarded-for header a proxy would add). */
function upgradeStatus(api: string, path: string, token: string, forwardedFor: string): Promise<number> {
  const ws = new WebSocket(`${api.replace(/^http/, 'ws')}${path}`, ['netlabs.terminal.v1'], { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`${path} was upgraded, a refusal was expected`));
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', () => undefined);
  });
}

/** Whether `command` succeeds inside the container (sh -c). */
function inContainer(id: string, command: string): boolean {
  try {
    execFileSync('docker', ['exec', id, 'sh', '-c', command], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** An upgrade the server accepts only to close: what it printed and its close code. */
async function closedAtOnce(api: string, path: string, token: string): Promise<{ code: number; reason: string; output: string }> {
  const ws = new WebSocket(`${api.replace(/^http/, 'ws')}${path}`, ['netlabs.terminal.v1'], { headers: { authorization: `Bearer ${token}` } });
  let output = '';
  ws.on('message', (data: Buffer, binary: boolean) => {
    if (binary) output += data.toString('utf8');
  });
  ws.on('error', () => undefined);
  const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
  });
  await sleep(0);
  return { ...closed, output };
}
