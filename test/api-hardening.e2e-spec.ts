import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './support/db';
import { TestStack } from './support/stack';
import { TestTerminal } from './support/terminal-client';
import { sleep } from './support/wait-for';

const ANON_LIMIT = 30;
/** Postgres flushes a busy backend's table statistics at most every second, an idle one's within 10 s. */
const STATS_FLUSH_MS = 11_500;

type Lab = { id: string; token: string };

/**
 * What an attack on a running NetLabs broke at the API's door (issue 9, items 5, 6, 7, 9):
 * identifying headers, strings Postgres cannot store, terminals outliving their token, and
 * unauthenticated requests that were never limited.
 */
describe('API hardening: headers, text inputs, revoked tokens and terminals, limits before authentication', () => {
  const stack = new TestStack({ RATE_LIMIT_ANON: String(ANON_LIMIT) });
  let db: Pool;
  let labs: Lab[];
  let secondApi: string;

  beforeAll(async () => {
    db = testDb();
    await stack.start();
    const created = await stack.createClassAndWait(['hx-text', 'hx-terms', 'hx-limit'], 'hardening');
    labs = created.labs;
    for (const lab of labs.slice(0, 2)) {
      // mon-serveur, a container the terminals may open.
      const run = await stack.request('POST', `/labs/${lab.id}/steps/2a/run`, {}, lab.token);
      expect(run.status, JSON.stringify(run.body)).toBe(200);
    }
    secondApi = await stack.startAnotherApi();
  });

  afterAll(async () => {
    await stack.stop();
    await db?.end();
  });

  it('never names its framework: no X-Powered-By on pages, assets, answers or errors', async () => {
    const [lab] = labs;
    const probes: [string, RequestInit, number][] = [
      ['/health', {}, 200],
      ['/', {}, 200],
      [`/labs/${lab.id}/page`, {}, 200],
      ['/assets/student-page.css', {}, 200],
      ['/assets/nope.js', {}, 404],
      [`/labs/${lab.id}`, { headers: { authorization: `Bearer ${lab.token}` } }, 200],
      [`/labs/${lab.id}`, {}, 401],
      ['/no/such/route', { headers: { authorization: `Bearer ${stack.adminToken}` } }, 404],
      ['/classes', { method: 'POST', headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' }, body: '{"name":' }, 400],
      ['/classes', { method: 'POST', headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(300_000) }) }, 413],
    ];
    for (const [path, init, status] of probes) {
      const response = await fetch(`${stack.apiUrl}${path}`, init);
      await response.arrayBuffer();
      expect(response.status, path).toBe(status);
      expect(response.headers.get('x-powered-by'), `${init.method ?? 'GET'} ${path}`).toBeNull();
    }
  });

  it('refuses NUL characters and lone surrogates with a 400 naming the field, in every body, param and query', async () => {
    const [lab] = labs;
    const classesBefore = (await db.query(`select count(*)::int as n from "Class"`)).rows[0].n;
    const student = (fields: Record<string, string>) => ({ name: 'ok', labDefinitionId: 'docker-network', students: [{ externalId: 'fine' }, fields] });
    // JSON.stringify writes these as the escapes \u0000 and \ud800 an attacker would send.
    const cases: [string, string, unknown, string | null, RegExp][] = [
      ['POST', `/labs/${lab.id}/steps/1a/verify`, { answer: 'a\u0000b' }, lab.token, /^answer: /],
      ['POST', `/labs/${lab.id}/steps/1a/verify`, { answer: '\ud800' }, lab.token, /^answer: /],
      ['POST', `/labs/${lab.id}/steps/1a/verify`, { answer: ['bridge', 'x\udc00y'] }, lab.token, /^answer\[1\]: /],
      ['POST', `/labs/${lab.id}/steps/1b/verify`, { answer: '10.0.0.0/24\u0000' }, lab.token, /^answer: /],
      ['POST', '/classes', { name: 'RT2 \u0000', labDefinitionId: 'docker-network', students: [{ externalId: 'x' }] }, stack.adminToken, /^name: /],
      ['POST', '/classes', { name: '\ud83d', labDefinitionId: 'docker-network', students: [{ externalId: 'x' }] }, stack.adminToken, /^name: /],
      ['POST', '/classes', student({ externalId: 'eve\u0000' }), stack.adminToken, /^students\[1\]\.externalId: /],
      ['POST', '/classes', student({ externalId: 'eve', displayName: 'Eve \udfff' }), stack.adminToken, /^students\[1\]\.displayName: /],
      ['POST', `/labs/${lab.id}/terminals`, { container: 'mon-serveur\u0000' }, lab.token, /^container: /],
      ['POST', `/labs/${lab.id}/terminals`, { container: '\ud800' }, lab.token, /^container: /],
      ['POST', `/labs/${lab.id}/reset`, { 'replay\u0000': true }, lab.token, /^body: a field name/],
      ['GET', `/labs/${lab.id}?lang=fr%00`, undefined, lab.token, /^lang: /],
    ];
    for (const [method, path, body, token, field] of cases) {
      const response = await stack.request(method, path, body, token);
      const what = `${method} ${path} ${JSON.stringify(body)}`;
      expect(response.status, `${what} -> ${JSON.stringify(response.body)}`).toBe(400);
      expect(response.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(field) });
      expect(response.body.message, what).toMatch(/NUL character|unpaired surrogate/);
    }
    expect((await db.query(`select count(*)::int as n from "Class"`)).rows[0].n).toBe(classesBefore);
    // The lab is untouched and still answers a proper question.
    const subnet = (await stack.request('GET', `/labs/${lab.id}`)).body.values.bridgeSubnet;
    const verified = await stack.request('POST', `/labs/${lab.id}/steps/1b/verify`, { answer: subnet }, lab.token);
    expect(verified.body.passed, JSON.stringify(verified.body)).toBe(true);
  });

  it('closes the student\'s terminals on every API process when the token is revoked or rotated; the instructor\'s stay', async () => {
    const lab = labs[1];
    const open = async (apiUrl: string, token: string) => {
      const created = await stack.requestAt(apiUrl, 'POST', `/labs/${lab.id}/terminals`, { container: 'mon-serveur' }, token);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return TestTerminal.open(apiUrl, created.body.url, { header: token });
    };
    const endReason = async (terminal: TestTerminal) =>
      (await db.query(`select "endReason" from "TerminalSession" where id = $1`, [terminal.ready!.session])).rows[0]?.endReason;

    const here = await open(stack.apiUrl, lab.token);
    const there = await open(secondApi, lab.token);
    const instructor = await open(secondApi, stack.adminToken);
    expect(await there.run('echo "be""fore"')).toContain('before');

    expect((await stack.request('DELETE', `/labs/${lab.id}/token`)).status).toBe(200);
    for (const terminal of [here, there]) {
      expect(await terminal.waitClosed(10_000)).toEqual({ code: 4401, reason: 'token revoked' });
      expect(terminal.output).toContain('[netlabs] session closed: the access token of this lab was revoked by the instructor');
      await expect.poll(() => endReason(terminal), { timeout: 10_000 }).toBe('token-revoked');
    }
    expect(instructor.closed).toBeUndefined();
    expect(await instructor.run('echo "still ""open"')).toContain('still open');

    // Rotation: the old token stops working, and so do the terminals it opened.
    const fresh = (await stack.request('POST', `/labs/${lab.id}/token`)).body.token as string;
    const rotatedAway = await open(secondApi, fresh);
    expect((await stack.request('POST', `/labs/${lab.id}/token`)).status).toBe(201);
    expect(await rotatedAway.waitClosed(10_000)).toEqual({ code: 4401, reason: 'token rotated' });
    expect(rotatedAway.output).toContain('[netlabs] session closed: the access token of this lab was replaced');
    await instructor.close();
  });

  it('limits requests without a valid token per client address, before any token lookup, on every API process', async () => {
    const lab = labs[2];
    const studentLookups = async () => {
      const { rows } = await db.query(`select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) as n from pg_stat_user_tables where relname = 'Student'`);
      return Number(rows[0].n);
    };
    // The student works before the flood (this API process now knows the token is valid).
    expect((await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).status).toBe(200);
    await sleep(STATS_FLUSH_MS);
    const lookupsBefore = await studentLookups();

    // No token, one bad token again and again, and 400 different bad tokens.
    const tokens = Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? null : i % 3 === 1 ? 'nls_the-same-bad-token' : `nls_bad-${i}`));
    const answers = [];
    for (const token of tokens) answers.push(await stack.request('GET', `/labs/${lab.id}`, undefined, token));
    const statuses = answers.map((a) => a.status);
    const first429 = statuses.indexOf(429);
    expect(first429, statuses.join(' ')).toBeGreaterThan(0);
    expect(first429).toBeLessThanOrEqual(ANON_LIMIT);
    expect(statuses.slice(0, first429).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(first429).every((s) => s === 429), statuses.join(' ')).toBe(true);
    expect(answers[399].body.message).toMatch(/too many requests without a valid token from this address; retry in \d+ s/);

    // Refused before the token lookup: Postgres saw at most the first ones.
    await sleep(STATS_FLUSH_MS);
    const lookups = (await studentLookups()) - lookupsBefore;
    expect(lookups).toBeLessThan(ANON_LIMIT + 15);

    // The counter is shared by the API processes (Redis), and covers terminal upgrades.
    expect((await stack.requestAt(secondApi, 'GET', `/labs/${lab.id}`, undefined, 'nls_elsewhere')).status).toBe(429);
    const upgrade = await TestTerminal.refused(stack.apiUrl, `/terminals/${crypto.randomUUID()}`, { header: 'nls_ws-guess' });
    expect(upgrade.status).toBe(429);

    // Whoever this address already proved to be keeps working: the instructor, the student, the page.
    expect((await stack.request('GET', `/labs/${lab.id}`)).status).toBe(200);
    expect((await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).status).toBe(200);
    const page = await fetch(`${stack.apiUrl}/`);
    expect(page.status).toBe(200);
    const limited = await fetch(`${stack.apiUrl}/labs/${lab.id}`, { headers: { authorization: 'Bearer nls_once-more' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-powered-by')).toBeNull();
  });
});
