import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestStack } from './support/stack';

const ARTIFACTS = path.resolve(__dirname, '..', 'test-artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

describe('student page (real API and worker, headless Chromium)', () => {
  const stack = new TestStack();
  let lab: { id: string; token: string };
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await stack.start();
    const created = await stack.createClassAndWait(['chloe'], 'student page');
    lab = created.labs[0];
    // Containers to open terminals into, and a step that verifies: 2c's reference solution.
    const run = await stack.request('POST', `/labs/${lab.id}/steps/2c/run`, {}, lab.token);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  });

  it('serves the page and its files from NetLabs itself, with no token and nothing else', async () => {
    for (const url of ['/', `/labs/${lab.id}/page`]) {
      const res = await fetch(`${stack.apiUrl}${url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      const html = await res.text();
      expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    }
    for (const name of ['xterm.js', 'xterm.css', 'addon-fit.js', 'lab-page.js', 'terminals.js', 'markdown.js', 'student-page.css']) {
      const res = await fetch(`${stack.apiUrl}/assets/${name}`);
      expect(res.status, name).toBe(200);
    }
    expect((await fetch(`${stack.apiUrl}/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${stack.apiUrl}/assets/package.json`)).status).toBe(404);
  });

  it('shows the lab, runs a command in a terminal and verifies a step', async () => {
    const page: Page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    // What the page's terminal sockets did, told when the test fails (a CI run once saw the console never connect).
    const sockets: string[] = [];
    page.on('websocket', (ws) => {
      const at = () => new Date().toISOString().slice(11, 23);
      sockets.push(`${at()} open ${new URL(ws.url()).pathname}`);
      ws.on('socketerror', (error) => sockets.push(`${at()} error ${error}`));
      ws.on('close', () => sockets.push(`${at()} closed ${new URL(ws.url()).pathname}`));
    });
    try {
      await studentUsesThePage(page);
    } catch (error) {
      await page.screenshot({ path: path.join(ARTIFACTS, 'student-page-failed.png') }).catch(() => undefined);
      const tabs = await page.$$eval('.tab', (buttons) => buttons.map((b) => b.getAttribute('title'))).catch(() => []);
      throw new Error(`${(error as Error).message}\n  terminal tabs: ${JSON.stringify(tabs)}\n  sockets: ${JSON.stringify(sockets)}\n  page problems: ${JSON.stringify(problems)}`);
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  /** The student's session: the lab shown, a terminal used, a question answered wrong, a step verified. */
  async function studentUsesThePage(page: Page): Promise<void> {
    await page.goto(`${stack.apiUrl}/labs/${lab.id}/page#token=${encodeURIComponent(lab.token)}`);
    await page.waitForFunction(() => document.querySelectorAll('#steps .step').length > 0, undefined, { timeout: 15_000 });
    expect(await page.textContent('#lab-title')).toMatch(/Docker/);
    expect(await page.locator('#steps .step').count()).toBeGreaterThanOrEqual(8);
    // The token left the address bar (and any bookmark or screenshot of it).
    expect(new URL(page.url()).hash).toBe('');
    // Markdown became elements, not visible markup.
    expect(await page.locator('#intro li').count()).toBeGreaterThan(0);
    expect(await page.textContent('#intro')).not.toContain('**');

    await page.selectOption('#lang', 'en');
    // The console opens by itself; then a terminal into container1.
    await page.waitForSelector('.tab-dot.live', { timeout: 60_000 });
    await page.waitForSelector('#container-picker option[value="container1"]:not([disabled])', { state: 'attached', timeout: 15_000 });
    await page.selectOption('#container-picker', 'container1');
    await page.click('#open-terminal');
    await page.waitForFunction(() => document.querySelectorAll('.tab-dot.live').length >= 2, undefined, { timeout: 30_000 });
    await page.click('.screen:not([hidden]) .xterm');
    await page.keyboard.type('curl -s mon-serveur; echo "from-""the-browser"\n');
    await page.waitForFunction(() => (document.querySelector('.screen:not([hidden]) .xterm-rows')?.textContent ?? '').includes('from-the-browser'), undefined, {
      timeout: 15_000,
    });
    const screen = await page.textContent('.screen:not([hidden]) .xterm-rows');
    expect(screen).toContain('It works!');

    // A question answered wrong: refused with a message saying what was expected.
    const question = page.locator('.step[data-step="1b"]');
    if (!(await question.locator('details').getAttribute('open'))) await question.locator('summary').click();
    await question.locator('input.answer').fill('192.168.1.0/24');
    await question.locator('.verify-button').click();
    await question.locator('.result.failed').waitFor({ timeout: 60_000 });
    expect(await question.locator('.check.failed .check-message').first().textContent()).toBeTruthy();

    // Verify step 2c: passes, its checks listed; the badge follows.
    const step = page.locator('.step[data-step="2c"]');
    await step.locator('summary').click();
    await step.locator('.verify-button').click();
    await step.locator('.result.passed').waitFor({ timeout: 60_000 });
    expect(await step.locator('.check.passed').count()).toBeGreaterThan(0);
    await page.waitForFunction(() => document.querySelector('.step[data-step="2c"] .badge')?.textContent === 'passed', undefined, { timeout: 10_000 });
    await step.evaluate((card) => card.scrollIntoView({ block: 'start' }));

    await page.screenshot({ path: path.join(ARTIFACTS, 'student-page.png') });
  }

  it('asks for a token when the page is opened without one, and refuses a wrong one', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.apiUrl}/labs/${lab.id}/page`);
    await page.waitForSelector('#token-form:not([hidden])');
    await page.fill('#token-input', 'nls_wrong');
    await page.click('#token-form button');
    // In the page's language (French until the student or the class says otherwise).
    await page.waitForFunction(() => /does not open this lab|n’ouvre pas ce lab/.test(document.querySelector('#banner')?.textContent ?? ''));
    await page.close();
  });
});
