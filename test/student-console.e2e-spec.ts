/**
 * Two students do the whole TP from the student page in headless Chromium, by hand: the
 * page opens from the url POST /classes returned, the console terminal opens by itself,
 * they type the TP's commands into it (a Dockerfile written with a heredoc, a build, a
 * chat between two terminals), click Verify on each step and see it pass. No call to
 * `run`. One works in French, the other in English; screenshots of every step are kept
 * in test-artifacts/ for review.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestStack } from './support/stack';

const ARTIFACTS = path.resolve(__dirname, '..', 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const socketDir = mkdtempSync(path.join(tmpdir(), 'nl-gw-'));

type Student = { lab: { id: string; token: string; url?: string }; values: Record<string, any>; lang: 'fr' | 'en'; nick: string };

/** What the active terminal shows, one line per row. */
const screenText = (page: Page) =>
  page.evaluate(() => Array.from(document.querySelectorAll('.screen:not([hidden]) .xterm-rows > div')).map((row) => row.textContent ?? '').join('\n'));

async function waitScreen(page: Page, pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await screenText(page);
    const m = pattern.exec(text);
    if (m) return m;
    await page.waitForTimeout(250);
  }
  throw new Error(`the terminal never showed ${pattern}; it shows:\n${text}`);
}

/** Types a command line into the active terminal. */
async function type(page: Page, line: string): Promise<void> {
  await page.locator('.screen:not([hidden]) .xterm').click();
  await page.keyboard.type(line, { delay: 0 });
  await page.keyboard.press('Enter');
}

/**
 * Clears the active terminal and waits for the shell's prompt alone on it. Typing the next
 * line before the prompt is back puts its first characters in front of the prompt (the tty
 * echoes them while `clear` runs), and readline then places the wrapped line and its output
 * a few columns off: a CI run saw the output overwrite the end of the command line.
 */
async function clearScreen(page: Page): Promise<void> {
  await type(page, 'clear');
  await waitScreen(page, /^\s*\S+@[^\n]*[#$]\s*$/, 30_000);
}

/**
 * Runs a command and waits for the marker it echoes at the end. Only the output can hold
 * `<marker>-42` (the command line says `$((6*7))`).
 */
async function run(page: Page, line: string, marker: string, timeoutMs?: number): Promise<string> {
  await clearScreen(page);
  await type(page, `${line}; echo ${marker}-$((6*7))`);
  await waitScreen(page, new RegExp(`${marker}-42`), timeoutMs);
  return screenText(page);
}

describe('students do the TP from the student page (headless Chromium, the console terminal)', () => {
  const stack = new TestStack({ GATEWAY_SOCKET: path.join(socketDir, 'gateway.sock'), STEP_WAIT_MS: '120000' });
  let browser: Browser;
  let students: Student[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await stack.start();
    const created = await stack.createClassAndWait(['ana', 'ben'], 'console e2e');
    students = await Promise.all(
      created.labs.map(async (lab: Student['lab'], i: number) => ({
        lab,
        values: (await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).body.values,
        lang: i === 0 ? ('fr' as const) : ('en' as const),
        nick: i === 0 ? 'ana' : 'ben',
      })),
    );
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
    rmSync(socketDir, { recursive: true, force: true });
  });

  async function verifyStep(page: Page, s: Student, step: string, answer?: string): Promise<void> {
    const card = page.locator(`.step[data-step="${step}"]`);
    if (!(await card.locator('details[open]').count())) await card.locator('summary').click();
    if (answer !== undefined) await card.locator('input.answer').fill(answer);
    await card.locator('.verify-button').click();
    const result = card.locator('.result.passed, .result.failed, .result.error');
    await result.waitFor({ timeout: 180_000 });
    const text = await result.textContent();
    expect({ step, passed: await card.locator('.result.passed').count(), text }).toMatchObject({ step, passed: 1 });
    await card.evaluate((node) => node.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(ARTIFACTS, `console-${s.lang}-${step}.png`) });
  }

  async function student(s: Student): Promise<void> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    try {
      // The link the instructor got from POST /classes, or the page path with the token in the fragment.
      const url = s.lab.url ? s.lab.url.replace(/^https?:\/\/[^/]+/, stack.apiUrl) : `${stack.apiUrl}/labs/${s.lab.id}/page#token=${encodeURIComponent(s.lab.token)}`;
      await page.goto(url);
      await page.waitForFunction(() => document.querySelectorAll('#steps .step').length > 0, undefined, { timeout: 30_000 });
      if (s.lang === 'en') await page.selectOption('#lang', 'en');
      await page.waitForFunction((lang) => document.documentElement.lang === lang, s.lang);
      // The console opened by itself.
      await page.waitForSelector('.tab-dot.live', { timeout: 60_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, `console-${s.lang}-start.png`) });

      const nets = await run(page, "docker network ls --format 'NET={{.Name}}'", 'N1');
      const names = [...nets.matchAll(/^NET=(\S+)/gm)].map((m) => m[1]);
      expect(names.sort()).toEqual(['bridge', 'host', 'none']);
      await verifyStep(page, s, '1a', names.join(' '));

      const inspect = await run(page, `docker network inspect bridge --format 'SUBNET={{(index .IPAM.Config 0).Subnet}} IF={{index .Options "com.docker.network.bridge.name"}}'`, 'N2');
      const [, subnet, bridgeIf] = /SUBNET=(\S+) IF=(\S+)/.exec(inspect)!;
      await verifyStep(page, s, '1b', subnet);
      await verifyStep(page, s, '1c', bridgeIf);

      const port = s.values.httpdPort;
      await run(page, `docker pull httpd && docker run -d --name mon-serveur -p ${port}:80 httpd`, 'R2A');
      await run(page, `until curl -s localhost:${port} | grep -q works; do sleep 1; done`, 'UP', 60_000);
      await verifyStep(page, s, '2a');

      await clearScreen(page);
      await type(page, 'docker run --rm -it --name container2 --net container:mon-serveur ubuntu');
      await waitScreen(page, /root@[0-9a-f]{12}:\/#\s*$/m);
      await run(page, 'netstat -ltn', 'NS');
      await verifyStep(page, s, '2b');
      await type(page, 'exit');
      await waitScreen(page, /root@hôte:[^\n]*#\s*$/m);

      await run(
        page,
        'docker rm -f $(docker ps -aq) && docker run -d --name mon-serveur httpd && docker run -dit --name container1 ubuntu && docker run -dit --name container2 --link mon-serveur:serveur ubuntu && sleep 2 && docker exec container2 curl -s http://serveur',
        'R2C',
      );
      await verifyStep(page, s, '2c');

      await run(page, 'docker network create --help | grep -- --opt', 'H3A');
      await verifyStep(page, s, '3a', '-o com.docker.network.bridge.name');

      const base = String(s.values.chatSubnet).split('/')[0].split('.').slice(0, 3).join('.');
      await run(page, `docker network create --subnet ${s.values.chatSubnet} --gateway ${base}.1 --ip-range ${base}.16/28 -o com.docker.network.bridge.name=chat0 chat && docker network inspect chat`, 'R3B');
      await verifyStep(page, s, '3b');

      // 3c: a Dockerfile of one's own, written in the console, then the build and the chat.
      await type(page, 'cd ~/chat && cat > Dockerfile <<EOF');
      await type(page, 'FROM ubuntu');
      await type(page, 'COPY . /home/chat/');
      await type(page, 'WORKDIR /home/chat');
      await type(page, 'EOF');
      await run(page, 'docker build -t mypython2 . && docker run -d --name chat_serveur --net chat mypython2 python3 /home/chat/serveur.py && for c in client1 client2 client3; do docker run -dit --name $c --net chat mypython2; done', 'B3C', 300_000);
      await clearScreen(page);
      await type(page, `docker exec -it client1 python3 /home/chat/client.py chat_serveur ${s.nick}-a`);
      await waitScreen(page, /welcome/);
      // A second console terminal for the other chatter.
      await page.selectOption('#container-picker', 'console');
      await page.click('#open-terminal');
      await page.waitForFunction(() => document.querySelectorAll('.tab-dot.live').length >= 2, undefined, { timeout: 60_000 });
      await type(page, `docker exec -it client2 python3 /home/chat/client.py chat_serveur ${s.nick}-b`);
      await waitScreen(page, /welcome/);
      await page.locator('.tab').first().click();
      await type(page, `bonjour de ${s.nick}`);
      await page.locator('.tab').nth(1).click();
      await waitScreen(page, new RegExp(`\\[${s.nick}-a\\] bonjour de ${s.nick}`), 30_000);
      await page.screenshot({ path: path.join(ARTIFACTS, `console-${s.lang}-chat.png`) });
      await type(page, '/quit');
      await page.locator('.tab').first().click();
      await type(page, '/quit');
      await verifyStep(page, s, '3c');

      await page.waitForSelector('#complete:not([hidden])', { timeout: 30_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, `console-${s.lang}-complete.png`) });
      expect(problems).toEqual([]);
    } catch (error) {
      await page.screenshot({ path: path.join(ARTIFACTS, `console-${s.lang}-failure.png`) }).catch(() => undefined);
      throw error;
    } finally {
      await page.close();
    }
  }

  it('two students, one in French and one in English, pass 1a-3c by typing in their consoles', async () => {
    await Promise.all(students.map((s) => student(s)));
    for (const s of students) {
      const lab = await stack.request('GET', `/labs/${s.lab.id}`, undefined, s.lab.token);
      expect(lab.body.steps.map((step: { status: string }) => step.status)).toEqual(Array(9).fill('passed'));
    }
  }, 1_200_000);
});
