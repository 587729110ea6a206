import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './support/db';
import { findLeaks } from './support/leak-check';
import { ScaleStack } from './support/scale-stack';
import { freePort } from './support/stack';
import { TestTerminal } from './support/terminal-client';
import { waitFor } from './support/wait-for';

/**
 * Issue 14's "Done when": a school's deployment on one machine. Two engines (the local one
 * and "c", reachable only over mutual TLS with certificates of this test's own CA), two API
 * processes behind the shipped nginx configuration (infra/proxy.sh) with TRUST_PROXY=loopback,
 * two workers. A class of SCALE_LABS (100) labs is created through the proxy; while it
 * provisions and students have terminals open, one API process and one worker are killed
 * (SIGKILL). Every lab ends ready on one of the two hosts, every terminal of the dead process
 * ends with a reason and a new one opens through the proxy, rate limits hold across both
 * processes, and DELETE /classes leaves nothing behind on either engine.
 */
const LABS = Number(process.env.SCALE_LABS ?? 100);
const RATE_LIMIT_STUDENT = 20;
const RATE_LIMIT_ANON = 10;
const TERMINALS = 12;
/** How soon a dead process's terminal sessions are known lost (TERMINAL_LEASE_MS). */
const LEASE_MS = 5000;

const ENGINE_C = 'c';

/** Each lab's bridge subnet (1b's answer), read by the instructor. */
type Lab = { id: string; token: string; studentExternalId: string };

/** Runs the docker CLI; returns its exit status and what it printed. */
function dockerCli(args: string[]): { status: number; output: string } {
  const run = spawnSync('docker', args, { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

/** In order, at most `n` at once. */
async function inBatches<T, R>(items: T[], n: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}

describe('scale out: two engines (one over mutual TLS), two API processes behind nginx, two workers', () => {
  const certs = mkdtempSync(path.join(tmpdir(), 'nl-scale-certs-'));
  const engineCerts = path.join(certs, 'engine');
  const otherCa = path.join(certs, 'other-ca');
  const dockerCertDir = path.join(certs, 'netlabs');
  let engineC: string[] = [];
  let stack: ScaleStack;
  let db: Pool;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  beforeAll(async () => {
    db = testDb();
    // The test's own CA, server and client certificates (openssl), and a second, unrelated CA.
    execFileSync('bash', ['infra/engine-certs.sh', engineCerts, '127.0.0.1'], { stdio: 'pipe' });
    execFileSync('bash', ['infra/engine-certs.sh', otherCa, '127.0.0.1'], { stdio: 'pipe' });
    const port = await freePort();
    execFileSync('bash', ['infra/tls-engine.sh', 'start', engineCerts, String(port)], { stdio: 'pipe' });
    // What NetLabs reads: <DOCKER_CERT_DIR>/<host id>/{ca,cert,key}.pem.
    mkdirSync(path.join(dockerCertDir, ENGINE_C), { recursive: true });
    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) copyFileSync(path.join(engineCerts, file), path.join(dockerCertDir, ENGINE_C, file));
    engineC = ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', ...['--tlscacert', 'ca.pem', '--tlscert', 'cert.pem', '--tlskey', 'key.pem'].map((a) => (a.endsWith('.pem') ? path.join(engineCerts, a) : a))];
    stack = new ScaleStack({
      env: {
        DOCKER_HOSTS: `local=unix:///var/run/docker.sock,${ENGINE_C}=tcp://127.0.0.1:${port}`,
        DOCKER_CERT_DIR: dockerCertDir,
        ALLOCATION_SCOPE: 'shared',
        TRUST_PROXY: 'loopback',
        RATE_LIMIT_STUDENT: String(RATE_LIMIT_STUDENT),
        RATE_LIMIT_ANON: String(RATE_LIMIT_ANON),
        HOST_MAX_LABS: String(LABS),
        PROVISION_CONCURRENCY: '4',
        RECONCILE_INTERVAL_MS: '5000',
        TERMINAL_LEASE_MS: String(LEASE_MS),
      },
      engines: [[], engineC],
      // The consoles' lab daemon runs beside the engines (apps/gateway), not in an API process.
      labDaemon: true,
    });
    await stack.start();
    console.log(`[scale-out] stack up after ${elapsed()} (proxy ${stack.proxyUrl})`);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    spawnSync('bash', ['infra/tls-engine.sh', 'stop'], { stdio: 'ignore' });
    rmSync(certs, { recursive: true, force: true });
    await db?.end();
    console.log(`[scale-out] whole file ${elapsed()}`);
  }, 300_000);

  it('engine c refuses a client with no certificate, or one signed by another CA; its own client certificate works', () => {
    const [, endpoint] = engineC;
    const caOnly = ['--tls', '--tlscacert', path.join(engineCerts, 'ca.pem')];
    const plain = dockerCli(['-H', endpoint, 'version', '--format', '{{.Server.Version}}']);
    const noCertificate = dockerCli(['-H', endpoint, ...caOnly, 'version', '--format', '{{.Server.Version}}']);
    const otherClient = dockerCli([
      '-H', endpoint, '--tlsverify', '--tlscacert', path.join(engineCerts, 'ca.pem'),
      '--tlscert', path.join(otherCa, 'cert.pem'), '--tlskey', path.join(otherCa, 'key.pem'), 'version', '--format', '{{.Server.Version}}',
    ]);
    const own = dockerCli([...engineC, 'version', '--format', '{{.Server.Version}}']);
    expect(plain.status, plain.output).not.toBe(0);
    expect(noCertificate.status, noCertificate.output).not.toBe(0);
    expect(noCertificate.output).toMatch(/certificate|tls/i);
    expect(otherClient.status, otherClient.output).not.toBe(0);
    expect(otherClient.output).toMatch(/certificate|tls/i);
    expect(own.status, own.output).toBe(0);
    expect(own.output.trim()).toMatch(/^\d+\.\d+/);
  });

  it(`${LABS} labs on both hosts survive losing an API process and a worker; terminals, verify and rate limits through the proxy; nothing leaks`, async () => {
    const students = Array.from({ length: LABS }, (_, i) => ({ externalId: `s${String(i).padStart(3, '0')}` }));
    const created = await stack.request('POST', '/classes', { name: 'scale out', labDefinitionId: 'docker-network', students });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const classId: string = created.body.id;
    const labs: Lab[] = created.body.labs;
    console.log(`[scale-out] class of ${LABS} created at ${elapsed()}`);

    // Server-sent events through the proxy: a lab's event arrives while others still provision (nothing buffered).
    const sse = await fetch(`${stack.proxyUrl}/classes/${classId}/events`, { headers: { authorization: `Bearer ${stack.adminToken}` }, signal: AbortSignal.timeout(120_000) });
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    let streamed = '';
    await waitFor('a ready lab on the event stream', async () => {
      const { value } = await reader.read();
      streamed += new TextDecoder().decode(value);
      return /"status":"ready"/.test(streamed);
    }, { timeoutMs: 120_000, intervalMs: 1 });
    const whenStreamed = await stack.request('GET', `/classes/${classId}`);
    expect(whenStreamed.body.labs.filter((l: { status: string }) => l.status === 'provisioning').length).toBeGreaterThan(0);
    await reader.cancel();

    // Rate limits, both API processes up: one student's requests alternate between them, and the limit is the limit.
    const limited = labs[LABS - 1];
    const answers: number[] = [];
    for (let i = 0; i < RATE_LIMIT_STUDENT + 5; i++) answers.push((await stack.request('GET', `/labs/${limited.id}`, undefined, limited.token)).status);
    expect(answers.filter((s) => s === 200).length, answers.join(' ')).toBe(RATE_LIMIT_STUDENT);
    expect(answers.slice(RATE_LIMIT_STUDENT)).toEqual(Array(5).fill(429));
    const servedBy = new Set(stack.proxyLog().filter((e) => e.request.startsWith(`GET /labs/${limited.id} `)).flatMap((e) => e.upstreams));
    expect(servedBy.size, 'the limited requests went to both API processes').toBe(2);
    // No token: counted per client address, which nginx forwards and TRUST_PROXY=loopback believes.
    const anon = async (address: string) => (await stack.request('GET', `/labs/${limited.id}`, undefined, null, { 'x-forwarded-for': address })).status;
    const fromOne: number[] = [];
    for (let i = 0; i < RATE_LIMIT_ANON + 3; i++) fromOne.push(await anon('203.0.113.7'));
    expect(fromOne.filter((s) => s !== 429).length, fromOne.join(' ')).toBe(RATE_LIMIT_ANON);
    expect(fromOne.at(-1)).toBe(429);
    expect(await anon('203.0.113.8'), 'another client address has its own budget').toBe(401);

    // Students of the first ready labs open terminals through the proxy and verify 1b.
    const ready = await waitFor(
      `${TERMINALS} ready labs`,
      async () => {
        const klass = await stack.request('GET', `/classes/${classId}`);
        const ids = new Set(klass.body.labs.filter((l: { status: string }) => l.status === 'ready').map((l: { id: string }) => l.id));
        const found = labs.filter((l) => ids.has(l.id) && l !== limited);
        return found.length >= TERMINALS && found.slice(0, TERMINALS);
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    const answerOf = async (lab: Lab) => (await stack.request('GET', `/labs/${lab.id}`)).body.values.bridgeSubnet as string;
    const verify = async (lab: Lab) => {
      const result = await stack.request('POST', `/labs/${lab.id}/steps/1b/verify`, { answer: await answerOf(lab) }, lab.token);
      expect(result.status, JSON.stringify(result.body)).toBe(200);
      expect(result.body.passed, JSON.stringify(result.body)).toBe(true);
    };
    await Promise.all(ready.map(verify));
    const openTerminal = async (lab: Lab) => {
      const session = await stack.request('POST', `/labs/${lab.id}/terminals`, { container: 'console' }, lab.token);
      expect(session.status, JSON.stringify(session.body)).toBe(201);
      const terminal = await TestTerminal.open(stack.proxyUrl, session.body.url, { header: lab.token });
      expect(await terminal.run(`echo "hi-""${lab.studentExternalId}"`)).toContain(`hi-${lab.studentExternalId}`);
      return terminal;
    };
    const terminals = await Promise.all(ready.map(openTerminal));
    // Sticky: a dropped connection comes back to the same shell (so to the same process), through the proxy.
    const pids = new Map<TestTerminal, string>();
    for (const [i, lab] of ready.entries()) {
      const terminal = terminals[i];
      pids.set(terminal, /PID=(\d+)/.exec(await terminal.run('echo "PID=$$"'))![1]);
      await terminal.drop();
      const again = await stack.request('POST', `/labs/${lab.id}/terminals/${terminal.ready!.session}/reconnect`, {}, lab.token);
      expect(again.status, JSON.stringify(again.body)).toBe(201);
      const back = await TestTerminal.open(stack.proxyUrl, again.body.url, { header: lab.token }, { since: terminal.offset });
      expect(back.ready).toMatchObject({ session: terminal.ready!.session, lost: false });
      expect(await back.run('echo "PID=$$"')).toContain(`PID=${pids.get(terminal)}`);
      terminals[i] = back;
    }
    // Which process holds each shell: the port nginx passed its first upgrade to (logged when it was dropped).
    const owner = ready.map((_, i) => {
      const session = terminals[i].ready!.session;
      const upgrade = stack.proxyLog().find((e) => e.request.startsWith(`GET /terminals/${session}?`));
      expect(upgrade, `the proxy log has the upgrade of ${session}`).toBeDefined();
      return upgrade!.upstreams.at(-1)!;
    });
    const apiPorts = [stack.get('api1').port!, stack.get('api2').port!];
    expect(new Set(owner).size, `terminals on both processes: ${owner.join(' ')}`).toBe(2);

    // Mid-way: labs still provisioning, terminals open. One API process and one worker crash.
    const before = await stack.request('GET', `/classes/${classId}`);
    const provisioning = before.body.labs.filter((l: { status: string }) => l.status === 'provisioning').length;
    console.log(`[scale-out] killing api2 and worker1 at ${elapsed()}: ${provisioning} labs still provisioning, ${TERMINALS} terminals open`);
    expect(provisioning, 'labs still provisioning when the processes die').toBeGreaterThan(0);
    const deadPort = stack.get('api2').port!;
    await Promise.all([stack.kill('api2'), stack.kill('worker1')]);

    const onDead = ready.map((_, i) => i).filter((i) => owner[i] === deadPort);
    const onLive = ready.map((_, i) => i).filter((i) => owner[i] !== deadPort);
    expect(apiPorts).toContain(deadPort);
    // The shells of the dead process are gone: their sockets drop; once its lease runs out, the
    // process left says why (410, the page's words) and a survivor records it; a new terminal opens there.
    for (const i of onDead) {
      const lab = ready[i];
      const terminal = terminals[i];
      const session = terminal.ready!.session;
      expect((await terminal.waitClosed(15_000)).code).toBe(1006);
      const gone = await waitFor(
        `the reconnect of ${session} to say it is gone`,
        async () => {
          const answer = await stack.request('POST', `/labs/${lab.id}/terminals/${session}/reconnect`, {}, lab.token);
          return answer.status === 201 ? undefined : answer;
        },
        // Every try is one of the student's RATE_LIMIT_STUDENT requests a minute: a few are enough.
        { timeoutMs: LEASE_MS * 4, intervalMs: 1500 },
      );
      expect(gone).toMatchObject({ status: 410, body: { message: expect.stringMatching(/process that ran it stopped; open a new terminal/) } });
      // Recorded by the survivor that reaped it (the sweep, or this reconnect finding the owner gone).
      const recorded = await waitFor(
        `session ${session} to be recorded as ended`,
        async () => (await db.query(`select "endReason" from "TerminalSession" where id = $1`, [session])).rows[0]?.endReason ?? undefined,
        { timeoutMs: 10_000 },
      );
      expect(recorded).toBe('owner-lost');
      terminals[i] = await openTerminal(lab);
    }
    // The other process's shells did not notice.
    for (const i of onLive) expect(await terminals[i].run('echo "PID=$$"')).toContain('PID=');

    // Every lab ends ready, placed on both hosts.
    const settled = await stack.waitForLabs(classId, (s) => s !== 'provisioning', 600_000);
    const notReady = settled.labs.filter((l: { status: string }) => l.status !== 'ready');
    expect(notReady, JSON.stringify(notReady.slice(0, 3))).toEqual([]);
    console.log(`[scale-out] all ${LABS} labs ready at ${elapsed()}`);
    const { rows: perHost } = await db.query(`select "hostId", count(*)::int as n from "Lab" where "classId" = $1 group by "hostId"`, [classId]);
    const count = (host: string) => perHost.find((r) => r.hostId === host)?.n ?? 0;
    expect(count('local') + count(ENGINE_C)).toBe(LABS);
    expect(count('local'), JSON.stringify(perHost)).toBeGreaterThanOrEqual(LABS / 4);
    expect(count(ENGINE_C), JSON.stringify(perHost)).toBeGreaterThanOrEqual(LABS / 4);

    // Every student verifies through the proxy, on the API process left (the limited student is out of requests).
    await inBatches(labs.filter((l) => l !== limited), 10, verify);
    for (const terminal of terminals) await terminal.close();

    // Nothing leaks, on either engine.
    const deleted = await stack.request('DELETE', `/classes/${classId}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBeLessThan(300);
    await stack.waitForLabs(classId, (s) => s === 'destroyed', 600_000);
    console.log(`[scale-out] class destroyed at ${elapsed()}`);
    const leaks = await findLeaks(db, stack.deploymentId, [classId], [['-H', 'unix:///var/run/docker.sock'], engineC]);
    expect(leaks).toEqual({ orphans: [], duplicates: [], strayAllocations: [] });
  }, 1_200_000);
});
