import { Validator } from '@seriousme/openapi-schema-validator';
import type { INestApplication } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { histogramCount, parsePrometheus, sampleValue } from './support/prometheus-text';
import { freePort, TestStack } from './support/stack';
import { TestTerminal } from './support/terminal-client';
import { waitFor } from './support/wait-for';

const ARTIFACTS = path.resolve(__dirname, '..', 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

type OpenApi = { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> }; security?: unknown[] }>> };

/** Express path (`/labs/:id`) to OpenAPI (`/labs/{id}`). */
const templated = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('every Nest route is in the OpenAPI document (the API built in this process)', () => {
  let app: INestApplication | undefined;
  let gatewayDir = '';
  const savedEnv = { ...process.env };

  afterAll(async () => {
    await app?.close();
    if (gatewayDir) rmSync(gatewayDir, { recursive: true, force: true });
    process.env = savedEnv;
  });

  it('lists each route Express has, with its method', async () => {
    gatewayDir = mkdtempSync(path.join(tmpdir(), 'netlabs-openapi-'));
    Object.assign(process.env, {
      ADMIN_TOKEN: `admin-${randomBytes(16).toString('hex')}`,
      QUEUE_PREFIX: `nltest-openapi-${randomBytes(4).toString('hex')}`,
      GATEWAY_SOCKET: path.join(gatewayDir, 'gateway.sock'),
      DEPLOYMENT_ID: `test-openapi-${randomBytes(4).toString('hex')}`,
    });
    const { createApi } = await import('../apps/api/create-api');
    const { OpenApiService } = await import('../apps/api/docs/openapi.service');
    app = await createApi({ logger: false });
    await app.init();
    // The routes as Express will answer them (Express 5's router), not as our document reads them.
    const router = (app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router;
    const registered = router.stack.flatMap((layer) =>
      layer.route ? Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${templated(layer.route!.path)}`) : [],
    );
    expect(registered.length).toBeGreaterThan(25);
    const document = app.get(OpenApiService).get() as OpenApi;
    const documented = Object.entries(document.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    const missing = registered.filter((route) => !documented.includes(route));
    expect(missing, `routes without @ApiDoc (add one beside the route, apps/api/docs/api-doc.ts)`).toEqual([]);
    // And the other way: the document invents no route (beyond the hand-written WebSocket and board).
    const invented = documented.filter((route) => !registered.includes(route) && !['GET /terminals/{sessionId}', 'GET /admin/queues'].includes(route));
    expect(invented).toEqual([]);
  });
});

describe('OpenAPI, /docs, /metrics and the queue board (real API and worker)', () => {
  let workerMetricsUrl = '';
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const workerPort = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${workerPort}/metrics`;
    stack = new TestStack({ WORKER_METRICS_PORT: String(workerPort) });
    await stack.start();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const apiMetrics = async (token: string | null = stack.adminToken) =>
    fetch(`${stack.apiUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const workerMetrics = async (token: string | null = stack.adminToken) =>
    fetch(workerMetricsUrl, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const scrape = async (get: () => Promise<Response>) => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };

  it('/openapi.json validates as OpenAPI 3 and its bodies are the zod schemas', async () => {
    const res = await fetch(`${stack.apiUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as OpenApi;
    writeFileSync(path.join(ARTIFACTS, 'openapi.json'), JSON.stringify(document, null, 2));
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\./);
    for (const [method, p] of [['post', '/classes'], ['get', '/classes/{id}/progress'], ['post', '/labs/{id}/steps/{step}/verify'], ['post', '/labs/{id}/terminals'], ['get', '/terminals/{sessionId}'], ['get', '/metrics'], ['get', '/health'], ['get', '/lab-definitions'], ['get', '/labs/{id}/page']]) {
      expect(document.paths[p]?.[method], `${method} ${p}`).toBeDefined();
    }
    const createClass = document.paths['/classes'].post.requestBody!.content['application/json'].schema;
    expect(createClass.required).toEqual(expect.arrayContaining(['name', 'labDefinitionId', 'students']));
    expect(Object.keys(createClass.properties ?? {})).toEqual(expect.arrayContaining(['runPolicy', 'runAfterFailures', 'language', 'labTtlMinutes']));
    expect(document.paths['/health'].get.security).toEqual([]);
  });

  it('/docs renders the document in Chromium from this server alone', async () => {
    const html = await (await fetch(`${stack.apiUrl}/docs`)).text();
    expect(html).not.toMatch(/https?:\/\//);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const outside: string[] = [];
    const origin = new URL(stack.apiUrl).origin;
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) outside.push(request.url());
    });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${stack.apiUrl}/docs`);
    await page.locator('.opblock-summary-path', { hasText: '/labs/{id}/steps/{step}/verify' }).first().waitFor({ timeout: 30_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(25);
    await page.screenshot({ path: path.join(ARTIFACTS, 'openapi-docs.png') });
    await page.close();
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('/metrics and the worker metrics refuse without the admin token', async () => {
    const created = await stack.createClassAndWait(['metrics-student'], 'metrics refusals');
    const student = created.labs[0].token;
    expect((await apiMetrics(null)).status).toBe(401);
    expect((await apiMetrics('not-the-admin-token-at-all')).status).toBe(401);
    expect((await apiMetrics(student)).status).toBe(403);
    expect((await workerMetrics(null)).status).toBe(401);
    expect((await workerMetrics(student)).status).toBe(401);
  });

  it('the worker metrics listen on loopback only (WORKER_METRICS_HOST): not on the machine\'s other addresses', async () => {
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
    expect(others.length).toBeGreaterThan(0);
    for (const address of others) {
      const url = workerMetricsUrl.replace('127.0.0.1', address);
      const reached = await fetch(url, { signal: AbortSignal.timeout(3000) }).then(() => true, () => false);
      expect(reached, url).toBe(false);
    }
    expect((await workerMetrics()).status).toBe(200);
  });

  it('counters and histograms move when a lab is provisioned and a step verified', async () => {
    const workerBefore = await scrape(() => workerMetrics());
    const apiBefore = await scrape(() => apiMetrics());
    const created = await stack.createClassAndWait(['ana'], 'metrics class');
    const lab = created.labs[0];
    expect((await stack.request('GET', `/classes/${created.id}`)).body.labs[0].status).toBe('ready');
    const wrong = await stack.request('POST', `/labs/${lab.id}/steps/1b/verify`, { answer: '192.0.2.0/24' }, lab.token);
    expect(wrong.status, JSON.stringify(wrong.body)).toBe(200);
    expect(wrong.body.passed).toBe(false);
    const values = (await stack.request('GET', `/labs/${lab.id}`)).body.values as { bridgeSubnet: string };
    const right = await stack.request('POST', `/labs/${lab.id}/steps/1b/verify`, { answer: values.bridgeSubnet }, lab.token);
    expect(right.body.passed, JSON.stringify(right.body)).toBe(true);

    // 1b only reads the engine: the API verifies it itself and times it before it answers.
    const afterReads = await scrape(() => apiMetrics());
    const verified = (families: typeof afterReads, outcome: string) => histogramCount(families, 'netlabs_step_verify_duration_seconds', { outcome });
    expect(verified(afterReads, 'passed') - verified(apiBefore, 'passed')).toBe(1);
    expect(verified(afterReads, 'failed') - verified(apiBefore, 'failed')).toBe(1);
    // 2a probes mon-serveur over HTTP: a verify-step job on the worker (it fails: nothing runs yet).
    const probed = await stack.request('POST', `/labs/${lab.id}/steps/2a/verify`, {}, lab.token);
    expect(probed.status, JSON.stringify(probed.body)).toBe(200);
    expect(probed.body.passed).toBe(false);

    // The worker records after BullMQ stored the result: allow it a moment.
    const worker = await waitFor(
      'the worker metrics to count the verification',
      async () => {
        const now = await scrape(() => workerMetrics());
        return verified(now, 'failed') > verified(workerBefore, 'failed') ? now : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const provisioned = (families: typeof worker) => histogramCount(families, 'netlabs_lab_provision_duration_seconds', { job: 'provision-lab', outcome: 'ready' });
    expect(provisioned(worker) - provisioned(workerBefore)).toBe(1);
    expect(verified(worker, 'passed') - verified(workerBefore, 'passed')).toBe(0);
    expect(verified(worker, 'failed') - verified(workerBefore, 'failed')).toBe(1);
    const jobs = (families: typeof worker, labels: Record<string, string>) => sampleValue(families, 'netlabs_jobs_total', labels);
    expect(jobs(worker, { queue: 'labs', name: 'provision-lab', result: 'completed' }) - jobs(workerBefore, { queue: 'labs', name: 'provision-lab', result: 'completed' })).toBe(1);
    expect(jobs(worker, { queue: 'steps', name: 'verify-step', result: 'completed' }) - jobs(workerBefore, { queue: 'steps', name: 'verify-step', result: 'completed' })).toBe(1);
    expect(worker.get('netlabs_grade_posts_total')?.type).toBe('counter');
    expect(sampleValue(worker, 'netlabs_grade_posts_total', { outcome: 'posted', process: 'worker' })).toBe(0);

    const api = await scrape(() => apiMetrics());
    const ready = (families: typeof api) => sampleValue(families, 'netlabs_labs', { state: 'ready' });
    expect(ready(api) - ready(apiBefore)).toBe(1);
    expect(api.get('netlabs_labs')?.samples.every((m) => m.labels.host && m.labels.host !== '')).toBe(true);
    const steps = (families: typeof api) => sampleValue(families, 'netlabs_queue_jobs', { queue: 'steps', state: 'completed' });
    expect(steps(api) - steps(apiBefore)).toBe(1);
    expect(api.get('netlabs_queue_jobs')?.samples.some((m) => m.labels.queue === 'labs' && m.labels.state === 'waiting')).toBe(true);

    // A terminal opened on the console is a session of the API process that took its upgrade
    // (until then it lives in Redis, for whichever process the proxy sends it to).
    const terminal = await stack.request('POST', `/labs/${lab.id}/terminals`, {}, lab.token);
    expect(terminal.status, JSON.stringify(terminal.body)).toBe(201);
    const opened = await TestTerminal.open(stack.apiUrl, terminal.body.url, { header: lab.token });
    try {
      const withTerminal = await waitFor(
        'the attached session in /metrics',
        async () => {
          const now = await scrape(() => apiMetrics());
          return sampleValue(now, 'netlabs_terminal_sessions', { state: 'attached' }) > sampleValue(api, 'netlabs_terminal_sessions', { state: 'attached' }) ? now : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 250 },
      );
      expect(sampleValue(withTerminal, 'netlabs_terminal_sessions') - sampleValue(api, 'netlabs_terminal_sessions')).toBe(1);
      expect(withTerminal.get('netlabs_gateway_connections')?.type).toBe('gauge');
    } finally {
      opened.ws.close();
    }
  });

  it('the queue board refuses without the admin token and opens with the cookie POST /admin/session sets', async () => {
    const board = `${stack.apiUrl}/admin/queues/`;
    expect((await fetch(board)).status).toBe(401);
    const browserNavigation = await fetch(board, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(browserNavigation.status).toBe(303);
    expect(browserNavigation.headers.get('location')).toBe('/admin/login');
    expect((await fetch(`${board}api/queues`, { headers: { cookie: 'netlabs_admin=9999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).status).toBe(401);
    const created = await stack.createClassAndWait(['board-student'], 'board refusals');
    expect((await stack.request('POST', '/admin/session', undefined, created.labs[0].token)).status).toBe(403);
    expect((await stack.request('POST', '/admin/session', undefined, null)).status).toBe(401);

    const session = await fetch(`${stack.apiUrl}/admin/session`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminToken}` } });
    expect(session.status).toBe(204);
    const setCookie = session.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^netlabs_admin=\d+\.[A-Za-z0-9_-]{43}; Path=\/admin; Max-Age=\d+; HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain(stack.adminToken);
    const cookie = setCookie.split(';')[0];
    const queues = await fetch(`${board}api/queues`, { headers: { cookie } });
    expect(queues.status).toBe(200);
    const boardPage = await fetch(board, { headers: { cookie } });
    expect(boardPage.headers.get('x-powered-by')).toBeNull();
    expect(boardPage.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const boardHtml = await boardPage.text();
    expect(boardHtml).not.toMatch(/(href|src)="https?:/);
    const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['labs', 'maintenance', 'steps']);
    // The bearer token works too (scripts).
    expect((await fetch(`${board}api/queues`, { headers: { authorization: `Bearer ${stack.adminToken}` } })).status).toBe(200);

    // As an operator would: the login page, then the board, nothing fetched from outside.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const outside: string[] = [];
    const origin = new URL(stack.apiUrl).origin;
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) outside.push(request.url());
    });
    await page.goto(board);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', stack.adminToken);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/queues\/?$/, { timeout: 30_000 });
    await page.getByText('steps', { exact: false }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'queue-board.png') });
    await page.close();
    expect(outside).toEqual([]);
  });
});
