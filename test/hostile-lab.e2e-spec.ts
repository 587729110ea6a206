import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerExec, engineName } from './support/docker-cli';
import { type ApiResponse, TestStack } from './support/stack';

/**
 * A student working against the shared worker from inside their own lab: checks that
 * hang (curl replaced by a sleeping script), verify requests fired in bulk, a page too
 * big to read. Other labs must not notice, and the worker must not pay for it.
 */
describe('a hostile lab: hanging checks, verify floods, huge pages', () => {
  // Two step workers only: without a per-lab limit one lab's hanging jobs take both.
  const stack = new TestStack({ STEP_CONCURRENCY: '2', STEP_JOBS_PER_LAB: '1', STEP_WAIT_MS: '60000', RATE_LIMIT_STUDENT: '1000' });
  let hang: { id: string; token: string };
  let calm: { id: string; token: string };

  // Messages in English (a class is French by default): the test reads them.
  const verify = (lab: { id: string; token: string }, step: string, body: object = {}) => stack.request('POST', `/labs/${lab.id}/steps/${step}/verify?lang=en`, body, lab.token);
  const runSolution = async (labId: string, step: string) => {
    const run = await stack.request('POST', `/labs/${labId}/steps/${step}/run`, {});
    expect(run.body.succeeded, JSON.stringify(run.body)).toBe(true);
  };
  const checkOf = (response: ApiResponse, container: string) =>
    (response.body.checks as { name: string; passed: boolean; message: string }[]).find((c) => c.name.startsWith(`${container} fetches`));

  beforeAll(async () => {
    await stack.start();
    const created = await stack.createClassAndWait(['hang', 'calm'], 'hostile-lab');
    [hang, calm] = created.labs;
    await Promise.all([runSolution(hang.id, '2c'), runSolution(calm.id, '2c')]);
  });

  afterAll(async () => {
    await stack.stop();
  });

  it("one lab's hanging verifies neither stall another lab's verify nor queue without limit", async () => {
    for (const container of ['container1', 'container2']) {
      const replaced = await dockerExec(engineName(hang.id, 'container', container), ['sh', '-c', 'printf "#!/bin/sh\\nexec sleep 60\\n" > /usr/bin/curl']);
      expect(replaced.code, replaced.stderr).toBe(0);
    }
    const subnet = (await stack.request('GET', `/labs/${calm.id}`)).body.values.bridgeSubnet;

    const finished: string[] = [];
    const flood = Array.from({ length: 6 }, async (_, i) => {
      const response = await verify(hang, '2c');
      finished.push(`hang-${i}-${response.status}`);
      return response;
    });
    // Give the flood a moment to reach the queue first, as it did in the report.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const calmVerify = await verify(calm, '1b', { answer: subnet });
    finished.push('calm');
    expect(calmVerify.status).toBe(200);
    expect(calmVerify.body.passed).toBe(true);

    const answers = await Promise.all(flood);
    // The calm lab's verify was answered while the hanging lab's accepted ones were still hanging
    // (an order, not a duration: the machine may be slow, the order holds).
    expect(finished.indexOf('calm'), finished.join(' ')).toBeLessThan(finished.findIndex((f) => f.endsWith('-200')));

    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(accepted.length + refused.length).toBe(answers.length);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(refused[0].body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(refused[0].body.message).toMatch(new RegExp(`lab ${hang.id} already has 1 run/verify requests? in progress`));
    // The hanging check ended with a failure that says so, not with a hung request.
    const hungCheck = checkOf(accepted[0], 'container1');
    expect(hungCheck?.passed).toBe(false);
    expect(hungCheck?.message).toMatch(/timed out|no answer within/);

    // Its slot came back with the answer: the next verify is taken, not refused.
    expect((await verify(hang, '2c')).status).toBe(200);
  });

  it("a huge page is read up to the limit only: the check answers quickly and the worker's memory stays flat", async () => {
    const server = engineName(calm.id, 'container', 'mon-serveur');
    // A 400 MB index.html, sparse past its first 200 KB of text: served in full by Apache,
    // costing the disk almost nothing (text first: NUL bytes are another issue's bug).
    const made = await dockerExec(server, [
      'sh',
      '-c',
      'for d in /usr/local/apache2/htdocs /var/www/html; do [ -d $d ] && yes "not the page" | head -c 200000 > $d/index.html && truncate -s 400M $d/index.html; done; true',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const peakBefore = peakRssMb(stack.workerPid!);

    for (const step of ['2a', '2c']) {
      const started = Date.now();
      const answer = await verify(calm, step);
      expect(answer.status).toBe(200);
      // Well inside a check's own deadline (15 s): the answer came from the page, not from a timeout.
      expect(Date.now() - started).toBeLessThan(15_000);
      const fetches = (answer.body.checks as { name: string; message: string }[]).filter((c) => /fetches|GET /.test(c.name) || /Apache page/.test(c.name));
      expect(fetches.length, JSON.stringify(answer.body)).toBeGreaterThan(0);
      for (const check of fetches) expect(check.message, JSON.stringify(check)).toMatch(/larger than 64 KiB: only its first 64 KiB were read/);
    }
    // Reading the page whole cost the worker hundreds of MB; 64 KiB pages cost noise.
    expect(peakRssMb(stack.workerPid!) - peakBefore).toBeLessThan(100);
  });
});

/** The process's peak resident memory (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}
