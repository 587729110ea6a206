/**
 * The instructor dashboard in headless Chromium, on the real stack. A class of three
 * students with different progress: ana passes 1a and 1b by verifying her own answers, ben
 * runs the solution of 1a then verifies it, cleo passes 1a and fails 1b three times. The
 * dashboard is opened with the admin token (list of classes, then the class) and with a
 * dashboard link of that class: the grid says who did what and how many tries it took,
 * "stuck" finds cleo, the CSV downloads with the right rows, a reset that clears progress
 * brings cleo's lab back ready with every step to do, and the read-only view of a
 * student's page has no Verify, no Run, no terminal. An instructor of another class sees
 * nothing of this one, in the browser and on every route it could try. Screenshots:
 * test-artifacts/dashboard-*.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestStack } from './support/stack';
import { waitFor } from './support/wait-for';

const ARTIFACTS = path.resolve(__dirname, '..', 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

type Lab = { id: string; studentExternalId: string; token: string; url: string };
type Created = { id: string; labs: Lab[] };

/** Parses CSV as progress.csv writes it (RFC 4180, CRLF, a UTF-8 BOM). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const body = text.replace(/^\ufeff/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && body[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

/** The CSV rows by student: {column: value}. */
function csvByStudent(text: string): Record<string, Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  return Object.fromEntries(rows.map((r) => [r[0], Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
}

/** What the grid shows, per student: "<state>:<attempts>" for each of the first steps. */
async function gridOf(page: Page, steps = ['1a', '1b', '1c']): Promise<Record<string, string[]>> {
  return page.evaluate((ids) => {
    const out: Record<string, string[]> = {};
    document.querySelectorAll<HTMLTableRowElement>('#grid tbody tr').forEach((tr) => {
      out[tr.dataset.student!] = ids.map((id) => {
        const td = tr.querySelector<HTMLElement>(`td.cell[data-step="${id}"]`);
        return td ? `${td.dataset.state}:${td.dataset.attempts}` : 'none';
      });
    });
    return out;
  }, steps);
}

async function shownStudents(page: Page): Promise<string[]> {
  return page.$$eval('#grid tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.student!));
}

describe('instructor dashboard (headless Chromium)', () => {
  const stack = new TestStack({ STEP_WAIT_MS: '120000' });
  let browser: Browser;
  let classA: Created;
  let classB: Created;
  let lab: Record<'ana' | 'ben' | 'cleo' | 'zed', Lab>;
  let linkA: { url: string; token: string };
  let linkB: { url: string; token: string };
  const problems: string[] = [];
  /** Steps of the lab definition (the grid's columns). */
  let stepCount = 0;

  const local = (url: string) => url.replace(/^https?:\/\/[^/]+/, stack.apiUrl);

  async function newPage(context?: BrowserContext): Promise<Page> {
    const page = context ? await context.newPage() : await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[134]/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    return page;
  }

  async function verify(l: Lab, step: string, answer?: string) {
    const res = await stack.request('POST', `/labs/${l.id}/steps/${step}/verify`, answer === undefined ? {} : { answer }, l.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { passed: boolean };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await stack.start();
    classA = await stack.createClassAndWait(['ana', 'ben', 'cleo'], 'Dashboard RT2 A');
    classB = await stack.createClassAndWait(['zed'], 'Dashboard RT2 B');
    const byName = Object.fromEntries([...classA.labs, ...classB.labs].map((l) => [l.studentExternalId, l]));
    lab = byName as typeof lab;
    for (const l of Object.values(lab)) expect((await stack.request('GET', `/labs/${l.id}`)).body.status).toBe('ready');

    // Three students, three stories.
    const subnet = async (l: Lab) => (await stack.request('GET', `/labs/${l.id}`)).body.values.bridgeSubnet as string;
    expect((await verify(lab.ana, '1a', 'bridge host none')).passed).toBe(true);
    expect((await verify(lab.ana, '1b', await subnet(lab.ana))).passed).toBe(true);
    expect((await stack.request('POST', `/labs/${lab.ben.id}/steps/1a/run`, {}, lab.ben.token)).status).toBe(200);
    expect((await verify(lab.ben, '1a', 'bridge host none')).passed).toBe(true);
    expect((await verify(lab.cleo, '1a', 'bridge host none')).passed).toBe(true);
    for (const wrong of ['192.168.1.0/24', '10.0.0.0/8', '172.17.0.0/16']) expect((await verify(lab.cleo, '1b', wrong)).passed).toBe(false);

    const a = await stack.request('POST', `/classes/${classA.id}/dashboard-links`);
    const b = await stack.request('POST', `/classes/${classB.id}/dashboard-links`);
    expect([a.status, b.status]).toEqual([201, 201]);
    linkA = a.body;
    stepCount = (await stack.request('GET', `/classes/${classA.id}/progress`)).body.steps.length;
    linkB = b.body;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    // Deleted, so that the next run's list of live classes does not grow with ours.
    for (const c of [classA, classB]) if (c) await stack.request('DELETE', `/classes/${c.id}`).catch(() => undefined);
    await stack.stop();
  });

  it('GET /classes/:id/progress gives the grid its attempts, last activity, lab state and end reasons, old fields kept', async () => {
    const res = await stack.request('GET', `/classes/${classA.id}/progress`);
    expect(res.status).toBe(200);
    const by = Object.fromEntries(res.body.students.map((s: { externalId: string }) => [s.externalId, s]));
    expect(res.body.classId).toBe(classA.id);
    expect(res.body.steps.slice(0, 3)).toEqual(['1a', '1b', '1c']);
    expect(new Date(res.body.generatedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(by.ana).toMatchObject({ labId: lab.ana.id, status: 'ready', score: 2, steps: { '1a': 'passed', '1b': 'passed', '1c': 'pending' }, passedWith: { '1a': 'own-work', '1b': 'own-work' } });
    expect(by.ana.attempts).toMatchObject({ '1a': 1, '1b': 1, '1c': 0 });
    expect(by.ben).toMatchObject({ score: 1, passedWith: { '1a': 'solution' }, attempts: { '1a': 1, '1b': 0 } });
    expect(by.cleo).toMatchObject({ score: 1, steps: { '1a': 'passed', '1b': 'failed' }, attempts: { '1a': 1, '1b': 3 }, endReason: null, failureReason: null });
    for (const s of Object.values(by) as { lastActivityAt: string }[]) expect(new Date(s.lastActivityAt).getTime()).toBeGreaterThan(Date.now() - 30 * 60_000);
  });

  it('GET /classes lists the live classes with their labs by status (admin only)', async () => {
    const res = await stack.request('GET', '/classes');
    expect(res.status).toBe(200);
    const a = res.body.find((c: { id: string }) => c.id === classA.id);
    expect(a).toMatchObject({ name: 'Dashboard RT2 A', labDefinitionId: 'docker-network', labs: 3, labsByStatus: { ready: 3, provisioning: 0, failed: 0, destroying: 0, destroyed: 0 } });
    expect(res.body.find((c: { id: string }) => c.id === classB.id)).toMatchObject({ labs: 1 });
  });

  it('opens to an instructor of the class exactly what the dashboard needs, and nothing of another class', async () => {
    const as = (token: string) => ({
      get: async (p: string) => (await stack.request('GET', p, undefined, token)).status,
      call: async (method: string, p: string, body?: unknown) => (await stack.request(method, p, body, token)).status,
    });
    const a = as(linkA.token);
    // Its own class: read, grid, CSV, one student's lab (read-only).
    expect(await a.get(`/classes/${classA.id}`)).toBe(200);
    expect(await a.get(`/classes/${classA.id}/progress`)).toBe(200);
    expect(await a.get(`/classes/${classA.id}/progress.csv`)).toBe(200);
    const seen = await stack.request('GET', `/labs/${lab.ana.id}`, undefined, linkA.token);
    expect(seen.status).toBe(200);
    expect(seen.body.viewer).toBe('instructor');
    expect(seen.body.steps.every((s: { canRun: boolean }) => s.canRun === false)).toBe(true);
    // Never another class, nor its labs: 404 as for an unknown id, whatever the action.
    for (const p of [`/classes/${classB.id}`, `/classes/${classB.id}/progress`, `/classes/${classB.id}/progress.csv`, `/classes/${UNKNOWN}`, `/labs/${lab.zed.id}`]) {
      expect({ p, status: await a.get(p) }).toEqual({ p, status: 404 });
    }
    for (const [method, p, body] of [
      ['POST', `/labs/${lab.zed.id}/extend`, { minutes: 10 }],
      ['POST', `/labs/${lab.zed.id}/reset`, {}],
      ['POST', `/labs/${lab.zed.id}/token`, {}],
      ['DELETE', `/labs/${lab.zed.id}`, undefined],
      // Run, verify and terminals are the student's (and the admin's), not a dashboard link's.
      ['POST', `/labs/${lab.ana.id}/steps/1a/run`, {}],
      ['POST', `/labs/${lab.ana.id}/steps/1c/verify`, { answer: 'x' }],
      ['POST', `/labs/${lab.ana.id}/terminals`, {}],
    ] as const) {
      expect({ method, p, status: await a.call(method, p, body) }).toEqual({ method, p, status: 404 });
    }
    // Admin routes stay admin's.
    for (const [method, p, body] of [
      ['GET', '/classes', undefined],
      ['POST', '/classes', { name: 'x', labDefinitionId: 'docker-network', students: [{ externalId: 'x' }] }],
      ['DELETE', `/classes/${classA.id}`, undefined],
      ['POST', `/classes/${classA.id}/dashboard-links`, {}],
      ['DELETE', `/labs/${lab.ana.id}/token`, undefined],
    ] as const) {
      expect({ method, p, status: await a.call(method, p, body) }).toEqual({ method, p, status: 403 });
    }
    // zed's lab is untouched by all this.
    expect((await stack.request('GET', `/labs/${lab.zed.id}`)).body.status).toBe('ready');
    expect((await stack.request('GET', `/labs/${lab.zed.id}`, undefined, lab.zed.token)).status).toBe(200);
  });

  it('refuses a student token on every dashboard route', async () => {
    const t = lab.ana.token;
    for (const p of ['/classes', `/classes/${classA.id}`, `/classes/${classA.id}/progress`, `/classes/${classA.id}/progress.csv`]) {
      expect({ p, status: (await stack.request('GET', p, undefined, t)).status }).toEqual({ p, status: 403 });
    }
    for (const [method, p, body, status] of [
      ['POST', `/labs/${lab.ana.id}/extend`, { minutes: 10 }, 403],
      ['POST', `/labs/${lab.ana.id}/token`, {}, 403],
      ['POST', `/labs/${lab.ana.id}/reset`, { clearProgress: true }, 403],
      ['GET', `/labs/${lab.ben.id}`, undefined, 404],
      ['POST', `/labs/${lab.ben.id}/reset`, {}, 404],
      ['DELETE', `/labs/${lab.ben.id}`, undefined, 404],
    ] as const) {
      expect({ method, p, status: (await stack.request(method, p, body, t)).status }).toEqual({ method, p, status });
    }
    // Her own lab reads as before, not read-only; nothing of the above changed it.
    const own = await stack.request('GET', `/labs/${lab.ana.id}`, undefined, t);
    expect(own.body).toMatchObject({ status: 'ready', viewer: 'student' });
    expect(own.body.steps.filter((s: { status: string }) => s.status === 'passed').map((s: { id: string }) => s.id)).toEqual(['1a', '1b']);
  });

  it('with the admin token: the classes, the grid, "stuck", the CSV and a read-only student page', async () => {
    const page = await newPage();
    try {
      await page.goto(`${stack.apiUrl}/dashboard#token=${encodeURIComponent(stack.adminToken)}`);
      await page.waitForSelector(`#classes tr[data-class-id="${classA.id}"]`, { timeout: 30_000 });
      // The token left the address bar at once.
      expect(page.url()).not.toContain(stack.adminToken);
      expect(await page.locator(`#classes tr[data-class-id="${classA.id}"]`).textContent()).toMatch(/Dashboard RT2 A.*docker-network.*3/s);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-classes.png') });

      await page.click(`#classes tr[data-class-id="${classA.id}"] a.class-link`);
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 3, undefined, { timeout: 30_000 });
      expect(await gridOf(page)).toEqual({
        ana: ['own-work:1', 'own-work:1', 'pending:0'],
        ben: ['solution:1', 'pending:0', 'pending:0'],
        cleo: ['own-work:1', 'failed:3', 'pending:0'],
      });
      expect(await page.$$eval('#grid tbody tr td.lab-state .badge', (b) => b.map((x) => x.className))).toEqual(['badge lab-ready', 'badge lab-ready', 'badge lab-ready']);
      expect(await page.$$eval('#grid tbody tr td.score', (c) => c.map((x) => x.textContent))).toEqual([`2 / ${stepCount}`, `1 / ${stepCount}`, `1 / ${stepCount}`]);
      // No grade passback in this class: no grade column.
      expect(await page.locator('#grid th.grade-col').count()).toBe(0);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-grid-admin.png'), fullPage: true });

      // Stuck: N=3 failures finds cleo (and says why); N=4 nobody; the status filter.
      await page.check('#filter-stuck');
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 1);
      expect(await shownStudents(page)).toEqual(['cleo']);
      expect(await page.locator('#grid tbody tr .stuck-why').textContent()).toMatch(/3 .*1b/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stuck.png'), fullPage: true });
      await page.fill('#opt-failures', '4');
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 0);
      expect(await page.locator('#none-shown').isVisible()).toBe(true);
      await page.fill('#opt-failures', '3');
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 1);
      await page.uncheck('#filter-stuck');
      await page.selectOption('#filter-status', 'failed');
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 0);
      await page.selectOption('#filter-status', 'ready');
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 3);
      await page.selectOption('#filter-status', '');

      // CSV: downloaded by the page, rows as the grid.
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#export-csv')]);
      expect(download.suggestedFilename()).toBe('Dashboard-RT2-A-progress.csv');
      const csv = csvByStudent(readFileSync((await download.path())!, 'utf8'));
      expect(Object.keys(csv)).toEqual(['ana', 'ben', 'cleo']);
      expect(csv.ana).toMatchObject({ labId: lab.ana.id, labStatus: 'ready', score: '2', steps: String(stepCount), '1a': 'own-work', '1a attempts': '1', '1b': 'own-work', '1c': 'pending' });
      expect(csv.ben).toMatchObject({ score: '1', '1a': 'solution', '1a attempts': '1', '1b': 'pending', '1b attempts': '0' });
      expect(csv.cleo).toMatchObject({ score: '1', '1a': 'own-work', '1b': 'failed', '1b attempts': '3' });

      // The student's page, read-only: statuses and instructions, no Verify, no Run, no terminal.
      const [view] = await Promise.all([page.context().waitForEvent('page'), page.click('#grid tbody tr[data-student="ana"] button[data-action="view"]')]);
      view.on('pageerror', (error) => problems.push(`view page error: ${error.message}`));
      await view.waitForFunction(() => document.querySelectorAll('#steps .step').length > 0, undefined, { timeout: 90_000 });
      expect(view.url()).not.toContain(stack.adminToken);
      expect(await view.locator('.step[data-step="1a"]').getAttribute('data-status')).toBe('passed');
      expect(await view.locator('.verify-button, .run-button, input.answer').count()).toBe(0);
      expect(await view.locator('.console').isVisible()).toBe(false);
      expect(await view.locator('#banner').textContent()).toContain('ana');
      await view.screenshot({ path: path.join(ARTIFACTS, 'dashboard-readonly.png') });
      await view.close();
    } finally {
      await page.close();
    }
  });

  it('with a dashboard link: the same grid, "stuck", the CSV, reset with progress cleared, extend, a new link, delete', async () => {
    const page = await newPage();
    try {
      await page.goto(local(linkA.url));
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 3, undefined, { timeout: 30_000 });
      // The token is dropped from the address bar; the class stays there.
      expect(page.url()).toBe(`${stack.apiUrl}/dashboard#class=${classA.id}`);
      expect(await page.locator('#all-classes').isVisible()).toBe(false);
      expect(await gridOf(page)).toEqual({
        ana: ['own-work:1', 'own-work:1', 'pending:0'],
        ben: ['solution:1', 'pending:0', 'pending:0'],
        cleo: ['own-work:1', 'failed:3', 'pending:0'],
      });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-grid-link.png'), fullPage: true });
      await page.check('#filter-stuck');
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 1);
      expect(await shownStudents(page)).toEqual(['cleo']);
      await page.uncheck('#filter-stuck');
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 3);

      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#export-csv')]);
      const csv = csvByStudent(readFileSync((await download.path())!, 'utf8'));
      expect(Object.keys(csv)).toEqual(['ana', 'ben', 'cleo']);
      expect(csv.cleo).toMatchObject({ '1b': 'failed', '1b attempts': '3' });

      // Reset cleo's lab, clearing her progress: asked first; cancelling does nothing.
      const row = (who: string) => page.locator(`#grid tbody tr[data-student="${who}"]`);
      await row('cleo').locator('button[data-action="reset"]').click();
      await page.waitForSelector('#ask[open]');
      await page.click('#ask-cancel');
      expect((await stack.request('GET', `/labs/${lab.cleo.id}`)).body.status).toBe('ready');
      expect(await gridOf(page)).toMatchObject({ cleo: ['own-work:1', 'failed:3', 'pending:0'] });
      await row('cleo').locator('button[data-action="reset"]').click();
      await page.waitForSelector('#ask[open]');
      await page.check('#ask-check');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-reset-confirm.png') });
      await page.click('#ask-ok');
      // Back to ready with every step to do, on the page (its own polling) and in the API.
      await page.waitForFunction(
        () => {
          const tr = document.querySelector<HTMLElement>('#grid tbody tr[data-student="cleo"]');
          return tr?.dataset.status === 'ready' && Array.from(tr.querySelectorAll<HTMLElement>('td.cell')).every((td) => td.dataset.state === 'pending' && td.dataset.attempts === '0');
        },
        undefined,
        { timeout: 180_000, polling: 500 },
      );
      const cleo = await stack.request('GET', `/labs/${lab.cleo.id}`);
      expect(cleo.body.status).toBe('ready');
      expect(cleo.body.steps.every((s: { status: string; attempts: number }) => s.status === 'pending' && s.attempts === 0)).toBe(true);
      // Cleared for the run policy too, and the others kept theirs.
      expect(await gridOf(page)).toEqual({ ana: ['own-work:1', 'own-work:1', 'pending:0'], ben: ['solution:1', 'pending:0', 'pending:0'], cleo: ['pending:0', 'pending:0', 'pending:0'] });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-after-reset.png'), fullPage: true });
      // The lab works again: she verifies 1a from her own token.
      expect((await verify(lab.cleo, '1a', 'bridge host none')).passed).toBe(true);

      // Extend ana's lab by 30 minutes.
      const before = new Date((await stack.request('GET', `/labs/${lab.ana.id}`)).body.expiresAt).getTime();
      await row('ana').locator('button[data-action="extend"]').click();
      await page.waitForSelector('#ask[open]');
      await page.fill('#ask-number', '30');
      await page.click('#ask-ok');
      await waitFor('ana\'s lab to be extended', async () => new Date((await stack.request('GET', `/labs/${lab.ana.id}`)).body.expiresAt).getTime() >= before + 30 * 60_000 - 1000, { timeoutMs: 30_000 });

      // A new link for ben, shown once; his old token stops working, the new one opens his lab.
      await row('ben').locator('button[data-action="rotate"]').click();
      await page.waitForSelector('#ask[open]');
      await page.click('#ask-ok');
      await page.waitForFunction(() => document.querySelector<HTMLInputElement>('#ask-link')?.value.includes('/page#token='), undefined, { timeout: 30_000 });
      const newUrl = await page.inputValue('#ask-link');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-new-link.png') });
      await page.click('#ask-ok');
      const newToken = decodeURIComponent(new URL(newUrl).hash.replace(/^#token=/, ''));
      expect((await stack.request('GET', `/labs/${lab.ben.id}`, undefined, lab.ben.token)).status).toBe(401);
      expect((await stack.request('GET', `/labs/${lab.ben.id}`, undefined, newToken)).status).toBe(200);

      // Delete ben's lab: torn down, shown as such, why it ended included.
      await row('ben').locator('button[data-action="remove"]').click();
      await page.waitForSelector('#ask[open]');
      await page.click('#ask-ok');
      await page.waitForFunction(
        () => {
          const tr = document.querySelector<HTMLElement>('#grid tbody tr[data-student="ben"]');
          return tr?.dataset.status === 'destroyed' && /\S/.test(tr.querySelector('td.lab-state .why')?.textContent ?? '');
        },
        undefined,
        { timeout: 120_000, polling: 500 },
      );
      const ben = (await stack.request('GET', `/classes/${classA.id}/progress`)).body.students.find((s: { externalId: string }) => s.externalId === 'ben');
      expect(ben).toMatchObject({ status: 'destroyed', endReason: 'deleted', passedWith: { '1a': 'solution' } });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-after-delete.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('shows grade passback status when the progress carries grades (the LTI field), and nothing without', async () => {
    // Grades come from LTI grade passback (another part of NetLabs): this class has none, so the
    // real answer of GET /progress is given the documented `grade` field on its way to the page.
    const page = await newPage();
    try {
      const grades: Record<string, unknown> = {
        ana: { status: 'sent', scoreGiven: 2, scoreMaximum: stepCount, updatedAt: new Date().toISOString() },
        ben: { status: 'failed', scoreGiven: 1, scoreMaximum: stepCount, error: 'the platform refused the score: role cannot be graded', updatedAt: new Date().toISOString() },
        cleo: null,
      };
      await page.route(`**/classes/${classA.id}/progress`, async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        for (const s of body.students) s.grade = grades[s.externalId];
        await route.fulfill({ response, json: body });
      });
      await page.goto(`${stack.apiUrl}/dashboard#class=${classA.id}&token=${encodeURIComponent(stack.adminToken)}`);
      await page.waitForSelector('#grid th.grade-col', { timeout: 30_000 });
      const cells = await page.$$eval('#grid tbody tr', (rows) => rows.map((r) => [(r as HTMLElement).dataset.student, r.querySelector('td.grade')?.textContent?.trim()]));
      expect(Object.fromEntries(cells)).toEqual({
        ana: `envoyée 2/${stepCount}`,
        ben: `échec 1/${stepCount}the platform refused the score: role cannot be graded`,
        cleo: '—',
      });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-grades.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('a dashboard link of another class sees nothing of this one', async () => {
    const page = await newPage();
    try {
      await page.goto(local(linkB.url));
      await page.waitForFunction(() => document.querySelectorAll('#grid tbody tr').length === 1, undefined, { timeout: 90_000 });
      expect(await shownStudents(page)).toEqual(['zed']);
      // Pointed at class A: refused, and no name of A's students anywhere on the page.
      await page.evaluate((id) => (location.hash = `class=${id}`), classA.id);
      await page.waitForSelector('#banner.error:not([hidden])', { timeout: 30_000 });
      expect(await page.locator('#class-view').isVisible()).toBe(false);
      const text = await page.evaluate(() => document.body.innerText);
      for (const name of ['ana', 'ben', 'cleo', 'Dashboard RT2 A']) expect(text).not.toContain(name);
      expect(await page.locator('#banner').textContent()).toMatch(/class|classe/i);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-other-class.png') });
    } finally {
      await page.close();
    }
    expect(problems).toEqual([]);
  });
});
