/**
 * Issue 11: what a student reads through the API never gives away the answer of a
 * question step (1a-1c, 3a) before they pass it: their lab (values, instructions, in both
 * languages), every verify message (wrong answers and unfinished tasks), the transcripts
 * of the solutions they may run, and the job results those come back through. The
 * stack answers every run and verify with 202 (STEP_WAIT_MS=0), so all of it is read
 * through GET /labs/:id/jobs/:jobId, the way a slow verify reaches the page.
 *
 * The 1a list: "bridge", "host" and "none" appear as words in the TP's prose (its
 * introduction explains those drivers, as the original TP does). Giving 1a away would be
 * the three names listed together as such; the test looks for them side by side, with
 * nothing but separators between, anywhere but in 1a's own solution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, TestStack } from './support/stack';
import { waitFor } from './support/wait-for';

const OPTION = 'com.docker.network.bridge.name';
const NAME = '(?:bridge|host|none)';
const SEP = `[\\s,;:"'\\[\\]{}|-]+`;
const NAME_LIST = new RegExp(`\\b${NAME}${SEP}${NAME}${SEP}${NAME}\\b`, 'i');

describe('answers stay secret until passed', () => {
  const stack = new TestStack({ STEP_WAIT_MS: '0' });
  let lab: { id: string; token: string };
  /** The instructor's view of the lab's values: the answers to look for. */
  let secret: { bridgeSubnet: string; bridgeGateway: string; bridgeInterface: string };

  /** A run or verify as the student, followed to its result when it answered 202. */
  const step = async (action: 'run' | 'verify', stepId: string, body: object = {}) => {
    const first = await stack.request('POST', `/labs/${lab.id}/steps/${stepId}/${action}`, body, lab.token);
    if (first.status === 200) return { via: 'direct', body: first.body };
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const done = await waitFor(
      `${action} ${stepId}`,
      async () => {
        const job: ApiResponse = await stack.request('GET', first.body.resultUrl, undefined, lab.token);
        return job.body.state === 'completed' ? job.body.result : job.body.state === 'failed' ? { failed: job.body.message } : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 300 },
    );
    return { via: 'job', body: done };
  };
  const verify = (stepId: string, answer?: unknown) => step('verify', stepId, answer === undefined ? {} : { answer });
  const studentLab = (lang?: string) => stack.request('GET', `/labs/${lab.id}${lang ? `?lang=${lang}` : ''}`, undefined, lab.token);

  const seen: { what: string; text: string }[] = [];
  const record = (what: string, value: unknown) => seen.push({ what, text: JSON.stringify(value) });
  const leaks = (text: string, hidden: { subnet?: boolean; iface?: boolean; option?: boolean; list?: boolean }) =>
    [
      hidden.subnet && text.includes(secret.bridgeSubnet) && '1b subnet',
      hidden.subnet && new RegExp(`(?<![\\w.])${secret.bridgeGateway.replace(/\./g, '\\.')}(?![\\w]|\\.\\d)`).test(text) && '1b gateway',
      hidden.iface && new RegExp(`(?<![\\w-])${secret.bridgeInterface}(?![\\w-])`).test(text) && '1c interface',
      hidden.option && text.includes(OPTION) && '3a option',
      hidden.list && NAME_LIST.test(text) && '1a list',
    ].filter(Boolean);

  beforeAll(async () => {
    await stack.start();
    const created = await stack.createClassAndWait(['sam'], 'answers secret', { runPolicy: 'always' });
    lab = created.labs[0];
    secret = (await stack.request('GET', `/labs/${lab.id}`)).body.values;
    expect(secret.bridgeSubnet).toMatch(/\/\d+$/);
  });

  afterAll(() => stack.stop());

  it('before any step is passed, nothing a student reads holds an answer', async () => {
    for (const lang of [undefined, 'fr', 'en']) {
      const detail = await studentLab(lang);
      expect(detail.status).toBe(200);
      expect(Object.keys(detail.body.values).sort()).toEqual(['chatInterface', 'chatSubnet', 'httpdPort', 'publicHost']);
      // What the student needs stays: their port, their chat subnet and interface.
      expect(detail.body.instructions).toContain(String(detail.body.values.httpdPort));
      expect(detail.body.instructions).toContain(detail.body.values.chatSubnet);
      expect(detail.body.instructions).toContain(detail.body.values.chatInterface);
      record(`GET /labs/:id lang=${lang}`, detail.body);
    }
    // Wrong answers of every question, in the forms a student would try.
    const wrong: [string, unknown][] = [
      ['1a', 'bridge host'],
      ['1a', 'bridge host none chat docker0'],
      ['1a', ['bridge']],
      ['1a', 'none'],
      ['1b', secret.bridgeSubnet.replace(/\/\d+$/, '/16')],
      ['1b', secret.bridgeSubnet.replace(/\.0\//, '.7/')],
      ['1b', secret.bridgeGateway],
      ['1b', '172.17.0.0/16'],
      ['1c', 'docker0'],
      ['1c', 'eth0'],
      ['1c', 'br-0123456789ab'],
      ['3a', '--subnet'],
      ['3a', '-o com.docker.network.bridge'],
    ];
    for (const [id, answer] of wrong) {
      const result = await verify(id, answer);
      expect(result.body.passed, `${id} ${JSON.stringify(answer)}`).toBe(false);
      record(`verify ${id} ${JSON.stringify(answer)}`, result.body);
    }
    // Unfinished tasks: their hints say what to do, not what the questions ask.
    for (const id of ['2a', '2b', '2c', '3b', '3c']) record(`verify ${id} (nothing done)`, (await verify(id)).body);
    // Solutions of the task steps, then their verifies passing (addresses of containers stay: 2c asks for them).
    for (const id of ['2a', '2b', '2c', '3b']) {
      const ran = await step('run', id);
      expect(ran.body.succeeded, JSON.stringify(ran.body)).toBe(true);
      record(`run ${id}`, ran.body);
      record(`verify ${id} (done)`, (await verify(id)).body);
    }
    record('GET /labs/:id after tasks', (await studentLab()).body);

    const found = seen.flatMap(({ what, text }) => leaks(text, { subnet: true, iface: true, option: true, list: true }).map((leak) => `${what}: ${leak}`));
    expect(found).toEqual([]);
    // The masks are there where an answer would have been: 3b's hint names the option of 3a.
    expect(seen.find((s) => s.what === 'verify 3b (nothing done)')!.text).toMatch(/-o \[(answer of|réponse de) 3a\]=/);
  });

  it("a step's own solution shows its answer and no other", async () => {
    const checks: [string, Parameters<typeof leaks>[1], (text: string) => boolean][] = [
      ['1a', { subnet: true, iface: true, option: true }, (t) => /\bbridge\b[\s\S]*\bhost\b[\s\S]*\bnone\b/.test(t)],
      ['1b', { iface: true, option: true, list: true }, (t) => t.includes(secret.bridgeSubnet)],
      ['1c', { subnet: true, option: true, list: true }, (t) => t.includes(secret.bridgeInterface)],
      ['3a', { subnet: true, iface: true, list: true }, (t) => t.includes(OPTION)],
    ];
    for (const [id, hidden, showsOwn] of checks) {
      const ran = await step('run', id);
      const text = JSON.stringify(ran.body);
      expect(leaks(text, hidden), `run ${id}: ${text}`).toEqual([]);
      expect(showsOwn(text), `run ${id} shows its answer: ${text}`).toBe(true);
    }
  });

  it('once a question is passed, its answer may appear (and only its own)', async () => {
    const passed = await verify('1b', secret.bridgeSubnet);
    expect(passed.body.passed).toBe(true);
    expect(JSON.stringify(passed.body)).toContain(secret.bridgeSubnet);
    const after1b = (await studentLab()).body;
    expect(after1b.values).toMatchObject({ bridgeSubnet: secret.bridgeSubnet, bridgeGateway: secret.bridgeGateway });
    expect(after1b.values).not.toHaveProperty('bridgeInterface');
    expect(leaks(JSON.stringify(after1b), { iface: true, option: true, list: true })).toEqual([]);
    // 1c's wrong answer still hides the interface; 1b's subnet now shows in 1b's solution.
    const wrong1c = await verify('1c', 'docker0');
    expect(leaks(JSON.stringify(wrong1c.body), { iface: true, option: true })).toEqual([]);

    expect((await verify('3a', `-o ${OPTION}=x`)).body.passed).toBe(true);
    const hint = await verify('1c', 'eth0');
    expect(JSON.stringify(hint.body)).not.toContain('[answer of 3a]');
    expect((await verify('1c', secret.bridgeInterface)).body.passed).toBe(true);
    expect((await studentLab()).body.values.bridgeInterface).toBe(secret.bridgeInterface);
  });

  it('instructors see everything', async () => {
    const detail = await stack.request('GET', `/labs/${lab.id}`);
    expect(detail.body.values).toMatchObject(secret);
  });
});
