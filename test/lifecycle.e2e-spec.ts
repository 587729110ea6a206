import http from 'node:http';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './support/db';
import { dockerObjects, TestStack } from './support/stack';
import { waitFor } from './support/wait-for';

describe('lab lifecycle: expiry, idle, reset, extend, tokens, rate limits, audit', () => {
  const stack = new TestStack({ REAP_INTERVAL_MS: '1000', RATE_LIMIT_STUDENT: '40', STEP_WAIT_MS: '60000' });
  let db: Pool;
  let classId: string;
  let labs: { id: string; token: string }[];

  beforeAll(async () => {
    db = testDb();
    await stack.start();
    const created = await stack.createClassAndWait(['exp', 'idle', 'reset', 'tok'], 'lifecycle');
    classId = created.id;
    labs = created.labs;
  });

  afterAll(async () => {
    await stack.stop();
    await db?.end();
  });

  it('tears down expired and idle labs with their reason, keeping progress and history', async () => {
    const [expiring, idle] = labs;
    const subnet = (await stack.request('GET', `/labs/${expiring.id}`)).body.values.bridgeSubnet;
    expect((await stack.request('POST', `/labs/${expiring.id}/steps/1b/verify`, { answer: subnet }, expiring.token)).body.passed).toBe(true);
    await db.query(`update "Lab" set "expiresAt" = now() - interval '1 minute' where id = $1`, [expiring.id]);
    await db.query(`update "Lab" set "lastActivityAt" = now() - interval '2 hours' where id = $1`, [idle.id]);

    for (const [lab, reason] of [[expiring, 'expired'], [idle, 'idle']] as const) {
      const detail = await waitFor(`lab ${reason}`, async () => {
        const body = (await stack.request('GET', `/labs/${lab.id}`)).body;
        return body.status === 'destroyed' ? body : undefined;
      }, { timeoutMs: 30_000 });
      expect(detail.endReason).toBe(reason);
      expect(dockerObjects('network', `label=netlabs.lab=${lab.id}`)).toEqual([]);
    }
    const after = (await stack.request('GET', `/labs/${expiring.id}`)).body;
    expect(after.steps.find((s: { id: string }) => s.id === '1b')).toMatchObject({ status: 'passed', attempts: 1 });
    const { rows } = await db.query(`select count(*)::int as n from "VerificationAttempt" where "labId" = $1`, [expiring.id]);
    expect(rows[0].n).toBe(1);
  });

  it('an instructor extends a lab; a student cannot', async () => {
    const lab = labs[2];
    const before = new Date((await stack.request('GET', `/labs/${lab.id}`)).body.expiresAt).getTime();
    expect((await stack.request('POST', `/labs/${lab.id}/extend`, { minutes: 60 }, lab.token)).status).toBe(403);
    expect((await stack.request('POST', `/labs/${lab.id}/extend`, { minutes: 0 })).status).toBe(400);
    const extended = await stack.request('POST', `/labs/${lab.id}/extend`, { minutes: 60 });
    expect(extended.status).toBe(201);
    expect(new Date(extended.body.expiresAt).getTime() - before).toBeGreaterThanOrEqual(59 * 60_000);
  });

  it('reset gives a fresh lab with progress kept, and replay brings passed steps back', async () => {
    const lab = labs[2];
    expect((await stack.request('POST', `/labs/${lab.id}/steps/2a/run`, {}, lab.token)).body.succeeded).toBe(true);
    expect((await stack.request('POST', `/labs/${lab.id}/steps/2a/verify`, {}, lab.token)).body.passed).toBe(true);
    // mon-serveur alone (the lab's console is not the student's).
    const server = dockerObjects('container', [`label=netlabs.lab=${lab.id}`, 'label=netlabs.name=mon-serveur']);
    expect(server).toHaveLength(1);

    expect((await stack.request('POST', `/labs/${lab.id}/reset`, { replay: 'yes' }, lab.token)).status).toBe(400);
    const reset = await stack.request('POST', `/labs/${lab.id}/reset`, { replay: true }, lab.token);
    expect(reset.status).toBe(202);
    await waitFor('reset lab ready', async () => (await stack.request('GET', `/labs/${lab.id}`)).body.status === 'ready', { timeoutMs: 60_000 });
    const replayed = dockerObjects('container', [`label=netlabs.lab=${lab.id}`, 'label=netlabs.name=mon-serveur']);
    expect(replayed).toHaveLength(1);
    expect(replayed).not.toEqual(server); // a new mon-serveur, not the old one
    const detail = (await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).body;
    expect(detail.steps.find((s: { id: string }) => s.id === '2a').status).toBe('passed');
    const again = await stack.request('POST', `/labs/${lab.id}/steps/2a/verify`, {}, lab.token);
    expect(again.body.passed, JSON.stringify(again.body)).toBe(true);
  });

  it('tokens can be rotated and revoked', async () => {
    const lab = labs[3];
    const rotated = await stack.request('POST', `/labs/${lab.id}/token`);
    expect(rotated.status).toBe(201);
    expect((await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).status).toBe(401);
    expect((await stack.request('GET', `/labs/${lab.id}`, undefined, rotated.body.token)).status).toBe(200);
    expect((await stack.request('POST', `/labs/${lab.id}/token`, undefined, rotated.body.token)).status).toBe(403);
    expect((await stack.request('DELETE', `/labs/${lab.id}/token`)).status).toBe(200);
    expect((await stack.request('GET', `/labs/${lab.id}`, undefined, rotated.body.token)).status).toBe(401);
    labs[3] = { id: lab.id, token: (await stack.request('POST', `/labs/${lab.id}/token`)).body.token };
  });

  it('limits the requests of one student token, not the others', async () => {
    const [, , noisy, quiet] = labs;
    const statuses = [];
    for (let i = 0; i < 45; i++) statuses.push((await stack.request('GET', `/labs/${noisy.id}`, undefined, noisy.token)).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await stack.request('GET', `/labs/${noisy.id}`, undefined, noisy.token);
    expect(limited.body.message).toMatch(/too many requests/);
    expect((await stack.request('GET', `/labs/${quiet.id}`, undefined, quiet.token)).status).toBe(200);
  });

  it('keeps an audit record of who did what to which lab', async () => {
    const { rows } = await db.query(`select actor, action from "AuditEvent" where "labId" = $1 order by at`, [labs[2].id]);
    const seen = rows.map((r) => `${r.actor.split(':')[0]} ${r.action}`);
    expect(seen).toEqual(expect.arrayContaining(['admin POST /labs/:id/extend', 'student POST /labs/:id/reset', 'student POST /labs/:id/steps/:step/run']));
    const created = await db.query(`select actor from "AuditEvent" where "classId" = $1 and action = 'POST /classes'`, [classId]);
    expect(created.rows).toEqual([{ actor: 'admin' }]);
  });

  it("keeps an idle connection open past Node's 5 s default, so a browser's next request on it is answered", async () => {
    // A student typing a long command between two clicks: the page's next fetch reuses the
    // connection. Closed by the server at 5 s, it raced that request ("Failed to fetch").
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const request = http.get(`${stack.apiUrl}/health`, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, reused: request.reusedSocket }));
        });
        request.on('error', reject);
      });
    try {
      expect(await get()).toEqual({ status: 200, reused: false });
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      expect(await get()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });
});
