import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect, docker, dockerExec, engineName, inspect } from './support/docker-cli';
import { testDb } from './support/db';
import { TestStack } from './support/stack';

type Lab = { id: string; token: string; values: Record<string, any> };
type Check = { name: string; passed: boolean; message: string };

const TASK_STEPS = ['2a', '2b', '2c', '3b'] as const;

describe('the TP steps on the real stack, two labs at once', () => {
  const stack = new TestStack({ STEP_WAIT_MS: '120000' });
  let classId: string;
  let labs: Lab[];

  const verify = (lab: Lab, step: string, answer?: unknown) =>
    stack.request('POST', `/labs/${lab.id}/steps/${step}/verify`, answer === undefined ? {} : { answer }, lab.token);
  const run = (lab: Lab, step: string) => stack.request('POST', `/labs/${lab.id}/steps/${step}/run`, {}, lab.token);
  const failed = (checks: Check[]) => checks.filter((c) => !c.passed).map((c) => c.message).join(' | ');

  beforeAll(async () => {
    await stack.start();
    const created = await stack.createClassAndWait(['ana', 'ben'], 'steps e2e');
    classId = created.id;
    labs = await Promise.all(
      // The instructor's view: a student's hides the answers of 1b and 1c until they pass them.
      created.labs.map(async (lab) => ({ id: lab.id, token: lab.token, values: (await stack.request('GET', `/labs/${lab.id}`)).body.values })),
    );
  });

  afterAll(() => stack.stop());

  it('refuses unknown steps, missing or mistyped answers', async () => {
    const [a] = labs;
    expect((await verify(a, '9z')).status).toBe(404);
    expect((await run(a, 'nope')).status).toBe(404);
    const missing = await verify(a, '1b');
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/answer is required/);
    const wrongType = await stack.request('POST', `/labs/${a.id}/steps/1b/verify`, { answer: 42 }, a.token);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toMatch(/answer/);
  });

  it('renders instructions with each lab its own values', async () => {
    const [a, b] = labs;
    for (const [lab, other] of [[a, b], [b, a]]) {
      const detail = await stack.request('GET', `/labs/${lab.id}?lang=fr`, undefined, lab.token);
      expect(detail.body.instructions).toContain(`**${lab.values.chatSubnet}**`);
      expect(detail.body.instructions).toContain(`${lab.values.publicHost}:${lab.values.httpdPort}`);
      expect(detail.body.instructions).not.toContain(other.values.chatSubnet);
    }
  });

  it('1a-1c and 3a: wrong answers fail, equivalent forms of the right one pass', async () => {
    await Promise.all(
      labs.map(async (lab) => {
        const listing = await run(lab, '1a');
        expect(listing.status).toBe(200);
        expect(listing.body.output).toMatch(/bridge[\s\S]*host[\s\S]*none/);
        // The lab's view never shows another student's network.
        const other = labs.find((l) => l !== lab)!;
        expect(listing.body.output).not.toContain(other.values.bridgeInterface);

        expect((await verify(lab, '1a', 'bridge host')).body.passed).toBe(false);
        expect((await verify(lab, '1a', 'None, HOST ,bridge')).body.passed).toBe(true);
        expect((await verify(lab, '1a', ['none', 'bridge', 'host'])).body.passed).toBe(true);

        const subnet: string = lab.values.bridgeSubnet;
        const wrongSubnet = subnet.replace(/\/24$/, '/16');
        const wrong = await verify(lab, '1b', wrongSubnet);
        expect(wrong.body.passed).toBe(false);
        expect(wrong.body.checks[0].message).toMatch(/\S/);
        expect((await verify(lab, '1b', subnet.replace('/', ' / '))).body.passed).toBe(true);

        expect((await verify(lab, '1c', 'docker0')).body.passed).toBe(false);
        expect((await verify(lab, '1c', lab.values.bridgeInterface.toUpperCase())).body.passed).toBe(true);

        expect((await verify(lab, '3a', '--subnet')).body.passed).toBe(false);
        expect((await verify(lab, '3a', '-o com.docker.network.bridge.name=chat0')).body.passed).toBe(true);
      }),
    );
  });

  it('task steps: verify before run fails with a message, run then verify passes', async () => {
    for (const step of TASK_STEPS) {
      await Promise.all(
        labs.map(async (lab) => {
          const before = await verify(lab, step);
          expect(before.status).toBe(200);
          expect(before.body.passed, `${step} before run`).toBe(false);
          expect(failed(before.body.checks)).toMatch(/\w{4,}/);
          const ran = await run(lab, step);
          expect(ran.status, JSON.stringify(ran.body)).toBe(200);
          expect(ran.body.succeeded, ran.body.output).toBe(true);
          const after = await verify(lab, step);
          expect(after.body.passed, `${step} after run: ${failed(after.body.checks)}`).toBe(true);
        }),
      );
    }
  });

  it("creates the TP's objects with the lab's labels and limits", () => {
    for (const lab of labs) {
      for (const name of ['mon-serveur', 'container1', 'container2']) {
        const container = inspect('container', engineName(lab.id, 'container', name));
        expect(container.Config.Labels).toMatchObject({ 'netlabs.lab': lab.id, 'netlabs.class': classId, 'netlabs.name': name });
        expect(container.HostConfig).toMatchObject({ Memory: 256 * 1024 * 1024, NanoCpus: 0.5e9, PidsLimit: 256, Privileged: false });
        expect(container.HostConfig.Binds ?? []).toEqual([]);
        expect(container.HostConfig.NetworkMode).not.toBe('host');
      }
      const chat = inspect('network', engineName(lab.id, 'network', 'chat'));
      expect(chat.Labels).toMatchObject({ 'netlabs.lab': lab.id, 'netlabs.name': 'chat' });
      expect(chat.IPAM.Config[0].Subnet).toBe(lab.values.chatSubnet);
      expect(chat.Options['com.docker.network.bridge.name']).toBe(lab.values.chatInterface);
    }
  });

  it("keeps labs apart: A's container1 cannot reach B's mon-serveur by IP or by name", async () => {
    const [a, b] = labs;
    const aClient = engineName(a.id, 'container', 'container1');
    const bServer = engineName(b.id, 'container', 'mon-serveur');
    const bIp = Object.values<any>(inspect('container', bServer).NetworkSettings.Networks)[0].IPAddress;
    expect(await canConnect(aClient, bIp, 80)).toBe(false);
    expect((await dockerExec(aClient, ['curl', '-s', '-m', '3', `http://${bServer}/`])).code).not.toBe(0);
    // Its own server, by the TP's name, answers.
    expect((await dockerExec(aClient, ['curl', '-s', '-m', '3', 'http://mon-serveur/'])).stdout).toContain('It works!');
  });

  it('a broken state fails with the right message', async () => {
    const [a] = labs;
    const chatName = engineName(a.id, 'network', 'chat');
    const wrong = a.values.chatSubnet.replace('/24', '/25');
    docker('network', 'rm', chatName);
    docker('network', 'create', '--subnet', wrong, '-o', `com.docker.network.bridge.name=${a.values.chatInterface}`,
      '--label', `netlabs.lab=${a.id}`, '--label', `netlabs.name=chat`, '--label', `netlabs.test=${stack.runId}`, chatName);
    const broken = await verify(a, '3b');
    expect(broken.body.passed).toBe(false);
    expect(failed(broken.body.checks)).toContain(`subnet is ${wrong}, expected ${a.values.chatSubnet}`);

    docker('stop', '-t', '1', engineName(a.id, 'container', 'mon-serveur'));
    const stopped = await verify(a, '2a');
    expect(stopped.body.passed).toBe(false);
    expect(failed(stopped.body.checks)).toMatch(/mon-serveur.*(exited|not running)/);
  });

  it('verifies of both labs at once (stored together) each store their own lab, step and outcome', async () => {
    const [a, b] = labs;
    const db = testDb();
    try {
      const since = (await db.query<{ now: string }>(`select (now() at time zone 'UTC')::text as now`)).rows[0].now;
      // A: 1c wrong, 1b right; B: 1b wrong, 1c right. All at once: the attempts that arrive while one
      // is being written share a statement, never two of one lab (Batcher).
      const sent = [
        { lab: a, step: '1c', answer: 'wrong-a', passed: false },
        { lab: a, step: '1b', answer: a.values.bridgeSubnet, passed: true },
        { lab: b, step: '1b', answer: '10.255.255.0/24', passed: false },
        { lab: b, step: '1c', answer: b.values.bridgeInterface, passed: true },
      ];
      const answers = await Promise.all(sent.map((s) => verify(s.lab, s.step, s.answer)));
      expect(answers.map((r) => [r.status, r.body.step, r.body.passed])).toEqual(sent.map((s) => [200, s.step, s.passed]));
      const { rows } = await db.query<{ labId: string; stepId: string; passed: boolean }>(
        `select "labId"::text, "stepId", passed from "VerificationAttempt" where "labId" = any($1::uuid[]) and "createdAt" >= $2 order by "labId", "stepId"`,
        [[a.id, b.id], since],
      );
      const expected = sent.map((s) => ({ labId: s.lab.id, stepId: s.step, passed: s.passed }));
      expect(rows).toEqual(expect.arrayContaining(expected));
      expect(rows).toHaveLength(expected.length);
      // Passed steps stay passed, whatever a later wrong answer says.
      for (const lab of [a, b]) {
        const steps = (await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).body.steps;
        expect(steps.filter((s: { id: string }) => ['1b', '1c'].includes(s.id)).map((s: { status: string }) => s.status)).toEqual(['passed', 'passed']);
      }
    } finally {
      await db.end();
    }
  });

  it('stores every attempt, counts concurrent verifies, and the grid shows exactly what passed', async () => {
    const [, b] = labs;
    const before = (await stack.request('GET', `/labs/${b.id}`, undefined, b.token)).body.steps.find((s: any) => s.id === '1c').attempts;
    const answers = await Promise.all([verify(b, '1c', 'wrong0'), verify(b, '1c', 'wrong1'), verify(b, '1c', 'wrong2')]);
    // A lab has STEP_JOBS_PER_LAB (2) verifies in flight at most: a third at once may get 429, and is not an attempt.
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 200 || s === 429), statuses.join(' ')).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    const after = (await stack.request('GET', `/labs/${b.id}`, undefined, b.token)).body.steps.find((s: any) => s.id === '1c');
    expect(after.attempts).toBe(before + statuses.filter((s) => s === 200).length);
    expect(after.status).toBe('passed'); // once passed stays passed

    const grid = await stack.request('GET', `/classes/${classId}/progress`);
    expect(grid.body.steps).toEqual(expect.arrayContaining(['1a', '1b', '1c', '2a', '2b', '2c', '3a', '3b']));
    for (const student of grid.body.students) {
      const passed = Object.entries(student.steps).filter(([, s]) => s === 'passed').map(([id]) => id).sort();
      expect(passed).toEqual(['1a', '1b', '1c', '2a', '2b', '2c', '3a', '3b']);
      expect(student.score).toBe(8);
      expect(Object.entries(student.steps).filter(([, s]) => s !== 'passed').every(([, s]) => s === 'pending')).toBe(true);
    }
  });
});
