/**
 * Issue 11, the class side: the student link POST /classes returns, the 2a link, who may
 * run a step's solution (runPolicy), how the progress grid tells own work from the
 * solution, and the lab's language.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestStack } from './support/stack';
import { waitFor } from './support/wait-for';

type Lab = { id: string; token: string; url: string };

describe('class settings, student links and how steps were passed', () => {
  const stack = new TestStack({ STEP_WAIT_MS: '120000' });
  let classId: string;
  let ana: Lab;
  let ben: Lab;

  const run = (lab: Lab, step: string, token: string | null = lab.token) => stack.request('POST', `/labs/${lab.id}/steps/${step}/run`, {}, token);
  const verify = (lab: Lab, step: string, answer?: unknown, query = '') =>
    stack.request('POST', `/labs/${lab.id}/steps/${step}/verify${query}`, answer === undefined ? {} : { answer }, lab.token);
  const adminValues = async (lab: Lab) => (await stack.request('GET', `/labs/${lab.id}`)).body.values;
  const progressOf = async (lab: Lab) => (await stack.request('GET', `/classes/${classId}/progress`)).body.students.find((s: { labId: string }) => s.labId === lab.id);

  beforeAll(async () => {
    await stack.start();
    const created = await stack.createClassAndWait(['ana', 'ben'], 'settings e2e', { runPolicy: 'after-failures', runAfterFailures: 2, language: 'en' });
    classId = created.id;
    [ana, ben] = created.labs;
  });

  afterAll(() => stack.stop());

  it('POST /classes validates the settings, naming the field', async () => {
    const base = { name: 'bad', labDefinitionId: 'docker-network', students: [{ externalId: 'x' }] };
    for (const [body, field] of [
      [{ runPolicy: 'sometimes' }, 'runPolicy'],
      [{ runAfterFailures: 'three' }, 'runAfterFailures'],
      [{ runPolicy: 'always', runAfterFailures: 2 }, 'runAfterFailures'],
      [{ language: 'de' }, 'language'],
    ] as const) {
      const response = await stack.request('POST', '/classes', { ...base, ...body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.message).toMatch(new RegExp(`^${field}: `));
    }
    const detail = await stack.request('GET', `/classes/${classId}`);
    expect(detail.body).toMatchObject({ runPolicy: 'after-failures', runAfterFailures: 2, language: 'en' });
  });

  it('each lab comes with a link that opens its page, token in the fragment; rotation gives a new one', async () => {
    const port = new URL(stack.apiUrl).port;
    for (const lab of [ana, ben]) {
      expect(lab.url).toBe(`http://${process.env.LAB_PUBLIC_HOST ?? '127.0.0.1'}:${port}/labs/${lab.id}/page#token=${lab.token}`);
      const page = await fetch(`${stack.apiUrl}${new URL(lab.url).pathname}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toMatch(/<html/i);
      const token = new URLSearchParams(new URL(lab.url).hash.slice(1)).get('token');
      expect((await stack.request('GET', `/labs/${lab.id}`, undefined, token)).status).toBe(200);
    }
    const rotated = await stack.request('POST', `/labs/${ben.id}/token`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.url).toBe(`${ben.url.split('#')[0]}#token=${rotated.body.token}`);
    ben = { ...ben, token: rotated.body.token, url: rotated.body.url };
  });

  it('GET /labs/:id: the class language unless the student asks, and the 2a link a browser opens', async () => {
    const english = (await stack.request('GET', `/labs/${ana.id}`, undefined, ana.token)).body;
    expect(english.language).toBe('en');
    expect(english.steps[0].title).toBe('The networks available');
    const french = (await stack.request('GET', `/labs/${ana.id}?lang=fr`, undefined, ana.token)).body;
    expect(french.language).toBe('fr');
    expect(french.steps[0].title).toBe('Les réseaux disponibles');

    const { publicHost, httpdPort } = english.values;
    expect(english.links).toEqual({ httpd: `http://${publicHost}:${httpdPort}/` });
    expect(english.instructions).toContain(english.links.httpd);
    expect((await run(ana, '2a', stack.adminToken)).status).toBe(200);
    expect(await (await fetch(english.links.httpd)).text()).toContain('It works!');
  });

  it('check messages come in the class language, or the one the student asks for', async () => {
    const english = await verify(ben, '1c', 'eth0');
    expect(english.body.checks[0]).toMatchObject({ name: 'gateway interface of the bridge network', message: expect.stringMatching(/^"eth0" is not the interface/) });
    const french = await verify(ben, '1c', 'eth0', '?lang=fr');
    expect(french.body.checks[0]).toMatchObject({ name: 'interface passerelle du réseau bridge', message: expect.stringMatching(/^« eth0 » n’est pas l’interface/) });
    const missing = await verify(ben, '2b', undefined, '?lang=fr');
    expect(missing.body.checks.map((c: { message: string }) => c.message)).toContain(
      'conteneur container2 : introuvable — démarrez-le avec docker run -dit --name container2 --net container:mon-serveur ubuntu',
    );
    expect(missing.body.checks.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['conteneur container2 en marche (ubuntu)', 'container2 partage le réseau de mon-serveur']));
    expect(missing.body.checks.find((c: { name: string }) => c.name === 'container2 partage le réseau de mon-serveur').message).toBe(
      'non vérifié : le conteneur container2 n’existe pas (démarrez-le d’abord)',
    );
  });

  it('a student runs a solution only after N failed verifies; a pass after a run counts as with the solution', async () => {
    const refused = await run(ben, '2c');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('the solution of step 2c opens after 2 failed verifies of it; 2 more to go');
    const before = (await stack.request('GET', `/labs/${ben.id}`, undefined, ben.token)).body.steps.find((s: { id: string }) => s.id === '2c');
    expect(before.canRun).toBe(false);
    expect((await verify(ben, '2c')).body.passed).toBe(false);
    expect((await run(ben, '2c')).status).toBe(403);
    expect((await verify(ben, '2c')).body.passed).toBe(false);
    const after = (await stack.request('GET', `/labs/${ben.id}`, undefined, ben.token)).body.steps.find((s: { id: string }) => s.id === '2c');
    expect(after.canRun).toBe(true);
    const ran = await run(ben, '2c');
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    expect((await verify(ben, '2c')).body.passed).toBe(true);

    // Own work: 1b answered from docker network inspect, never run.
    expect((await verify(ben, '1b', (await adminValues(ben)).bridgeSubnet)).body.passed).toBe(true);
    // An instructor's run counts too: the lab was set up by the solution.
    expect((await run(ana, '1a', stack.adminToken)).status).toBe(200);
    expect((await verify(ana, '1a', 'bridge host none')).body.passed).toBe(true);
    // 2a: the instructor ran it (previous test), ana verifies.
    expect((await verify(ana, '2a')).body.passed).toBe(true);

    const grid = await stack.request('GET', `/classes/${classId}/progress`);
    expect(grid.status).toBe(200);
    expect((await progressOf(ben)).passedWith).toEqual({ '1b': 'own-work', '2c': 'solution' });
    expect((await progressOf(ana)).passedWith).toEqual({ '1a': 'solution', '2a': 'solution' });
    const detail = (await stack.request('GET', `/labs/${ben.id}`, undefined, ben.token)).body;
    expect(Object.fromEntries(detail.steps.map((s: { id: string; passedWith: string | null }) => [s.id, s.passedWith]))).toMatchObject({ '1b': 'own-work', '2c': 'solution', '1a': null });
  });

  it('a reset forgets the runs before it: the next pass is own work', async () => {
    expect((await run(ana, '1c', stack.adminToken)).status).toBe(200);
    expect((await stack.request('POST', `/labs/${ana.id}/reset`, {}, ana.token)).status).toBe(202);
    await waitFor('reset lab ready', async () => (await stack.request('GET', `/labs/${ana.id}`)).body.status === 'ready', { timeoutMs: 90_000 });
    expect((await verify(ana, '1c', (await adminValues(ana)).bridgeInterface)).body.passed).toBe(true);
    expect((await progressOf(ana)).passedWith).toMatchObject({ '1a': 'solution', '1c': 'own-work' });
  });

  it('runPolicy off: students never run, instructors do; always: students run at once', async () => {
    const off = await stack.createClassAndWait(['cleo'], 'settings off', { runPolicy: 'off' });
    const [cleo] = off.labs;
    for (let i = 0; i < 4; i++) expect((await stack.request('POST', `/labs/${cleo.id}/steps/2a/verify`, {}, cleo.token)).body.passed).toBe(false);
    const refused = await stack.request('POST', `/labs/${cleo.id}/steps/2a/run`, {}, cleo.token);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.stringMatching(/for instructors/) });
    expect((await stack.request('POST', `/labs/${cleo.id}/steps/2a/run`, {})).status).toBe(200);
    const detail = (await stack.request('GET', `/labs/${cleo.id}`, undefined, cleo.token)).body;
    expect(detail.runPolicy).toEqual({ policy: 'off', afterFailures: 3 });
    expect(detail.language).toBe('fr');
    expect(detail.steps.every((s: { canRun: boolean }) => !s.canRun)).toBe(true);
  });
});
