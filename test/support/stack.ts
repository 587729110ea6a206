import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { removeTestObjects } from './docker-cleanup';
import { sweepPrivateListener } from './fence-probes';
import { sleep, waitFor } from './wait-for';

/** The repository root, from test/support or its compiled copy in dist/test/support. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
export const ROOT = repoRoot();

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** Quick recovery, so fault tests do not wait minutes for stalled jobs or the reconciler. */
export const QUICK_RECOVERY = { RECONCILE_INTERVAL_MS: '2000', STUCK_AFTER_MS: '4000', JOB_LOCK_MS: '3000' };

/**
 * The real NetLabs, as separate processes built from dist/: one API and one worker,
 * on the real Postgres, Redis and Docker engine. Each stack has its own queue prefix and
 * labels its Docker objects with netlabs.test=<runId>, so `stop()` can sweep them.
 */
export class TestStack {
  readonly runId = randomBytes(4).toString('hex');
  readonly adminToken = `admin-${randomBytes(16).toString('hex')}`;
  apiUrl = '';
  private api?: ChildProcess;
  private worker?: ChildProcess;
  /** More API processes of this same deployment (same database, Redis prefix and engine), by url. */
  private readonly moreApis = new Map<string, ChildProcess>();
  private env: NodeJS.ProcessEnv = {};
  private readonly gatewayDir = path.join(tmpdir(), `netlabs-gw-${this.runId}`);
  /** Classes this stack created: marked ended in the database at stop, so no later run's reconciler adopts them. */
  private readonly classIds: string[] = [];

  /**
   * @param overrides variables of every process of the stack
   * @param apiOverrides variables of the API processes only (e.g. a GATEWAY_SOCKET of their own
   *   when a separate lab daemon, apps/gateway, serves the consoles' socket)
   */
  constructor(
    private readonly overrides: Record<string, string> = {},
    private readonly apiOverrides: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.apiUrl = `http://127.0.0.1:${port}`;
    this.env = {
      ...process.env,
      PORT: String(port),
      ADMIN_TOKEN: this.adminToken,
      QUEUE_PREFIX: `nltest-${this.runId}`,
      LAB_LABELS: `netlabs.test=${this.runId}`,
      DEPLOYMENT_ID: `test-${this.runId}`,
      JOB_LOCK_MS: '4000',
      // A lab daemon socket of its own: on the shared default path, parallel stacks would
      // take it from each other and their consoles would talk to another run's API.
      GATEWAY_SOCKET: path.join(this.gatewayDir, 'gateway.sock'),
      ...this.overrides,
    };
    this.startWorker();
    this.api = this.spawn('api', 'dist/apps/api/main.js', this.apiOverrides);
    await this.waitForApi(this.api, this.apiUrl);
  }

  /**
   * Until the API answers /health. It waits for its dependencies itself (up to 20 s), so
   * a loaded machine gets time; an API that exited says so at once, pointing at its log.
   */
  private async waitForApi(api: ChildProcess, url: string): Promise<void> {
    const answered = await waitFor('the API to answer /health', async () => (api.exitCode !== null ? 'exited' : (await fetch(`${url}/health`)).ok && 'up'), { timeoutMs: 90_000 });
    if (answered === 'exited') throw new Error(`the API exited with code ${api.exitCode}: see its log in test-artifacts/`);
  }

  /** The worker process's pid (to read its memory from /proc). */
  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  /** The first API process's pid (to read its CPU time from /proc). */
  get apiPid(): number | undefined {
    return this.api?.pid;
  }

  startWorker(): void {
    this.worker = this.spawn('worker', 'dist/apps/worker/main.js');
  }

  /**
   * Starts one more API process of this deployment on a port of its own, as a second
   * replica behind a load balancer would run (`changes`: variables of its own, such as
   * TRUST_PROXY); returns its url.
   */
  async startAnotherApi(changes: Record<string, string> = {}): Promise<string> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawnLogged('dist/apps/api/main.js', { ...this.env, ...this.apiOverrides, ...changes, PORT: String(port) }, `api${this.moreApis.size + 2}-${this.runId}`);
    this.moreApis.set(url, child);
    await this.waitForApi(child, url);
    return url;
  }

  /** Kills the API process at `url` (one of startAnotherApi's) the hard way, as a crash would. */
  async killApi(url: string): Promise<void> {
    const child = this.moreApis.get(url);
    if (!child) throw new Error(`no API process of this stack at ${url}`);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** The lines of every API process's log (test-artifacts/api*-<runId>.log) that contain `fragment`. */
  apiLogLines(fragment: string): string[] {
    return this.logLines('api', fragment);
  }

  /** The lines of the worker's log (test-artifacts/worker-<runId>.log) that contain `fragment`. */
  workerLogLines(fragment: string): string[] {
    return this.logLines('worker', fragment);
  }

  private logLines(kind: 'api' | 'worker', fragment: string): string[] {
    const dir = path.join(ROOT, 'test-artifacts');
    const logs = readdirSync(dir).filter((name) => new RegExp(`^${kind}\\d*-${this.runId}\\.log$`).test(name));
    return logs.flatMap((name) => readFileSync(path.join(dir, name), 'utf8').split('\n')).filter((line) => line.includes(fragment));
  }

  /** Kills the worker the hard way (no graceful shutdown), as a crash would. */
  async killWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker || worker.exitCode !== null) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGKILL');
    await exited;
  }

  /** Restarts the worker (killed hard) with some variables changed, as an operator changing its configuration would. */
  async restartWorkerWith(changes: Record<string, string>): Promise<void> {
    await this.killWorker();
    this.env = { ...this.env, ...changes };
    this.startWorker();
  }

  async request<T = any>(method: string, urlPath: string, body?: unknown, token: string | null = this.adminToken): Promise<ApiResponse<T>> {
    return this.requestAt(this.apiUrl, method, urlPath, body, token);
  }

  /** Same as request(), on the API process at `apiUrl` (see startAnotherApi). */
  async requestAt<T = any>(apiUrl: string, method: string, urlPath: string, body?: unknown, token: string | null = this.adminToken): Promise<ApiResponse<T>> {
    const response = await apiRequest<T>(apiUrl, method, urlPath, body, token);
    if (isClassCreated(method, urlPath, response)) this.classIds.push(response.body.id);
    return response;
  }

  /**
   * Creates a class and waits until none of its labs is still provisioning. Students may run
   * any step's solution by default (`runPolicy: always`): most tests use run to set a lab up.
   */
  async createClassAndWait(students: string[], name = 'test class', settings: Record<string, unknown> = { runPolicy: 'always' }) {
    const created = await this.request('POST', '/classes', {
      name,
      labDefinitionId: 'docker-network',
      students: students.map((externalId) => ({ externalId })),
      ...settings,
    });
    if (created.status !== 201) throw new Error(`POST /classes answered ${created.status}: ${JSON.stringify(created.body)}`);
    await this.waitForLabs(created.body.id, (status) => status !== 'provisioning');
    return created.body as { id: string; labs: { id: string; studentExternalId: string; token: string; url: string; status: string }[] };
  }

  async waitForLabs(classId: string, done: (status: string) => boolean, timeoutMs = 120_000) {
    return waitFor(
      `labs of class ${classId}`,
      async () => {
        const found = await this.request('GET', `/classes/${classId}`);
        return found.body.labs.every((lab: { status: string }) => done(lab.status)) ? found.body : undefined;
      },
      { timeoutMs, intervalMs: 300 },
    );
  }

  /** The API processes first (one by one, so none takes work the others left), then the worker; then the run's leftovers. */
  async stop(): Promise<void> {
    for (const child of [this.api, ...this.moreApis.values(), this.worker]) if (child) await stopProcess(child);
    await cleanUpRun({ runId: this.runId, databaseUrl: this.env.DATABASE_URL, deploymentId: this.env.DEPLOYMENT_ID!, classIds: this.classIds, gatewayDir: this.gatewayDir });
  }

  private spawn(name: string, script: string, extra: Record<string, string> = {}): ChildProcess {
    return spawnLogged(script, { ...this.env, ...extra }, `${name}-${this.runId}`);
  }
}

/**
 * A request to a NetLabs API as a client sends it: JSON body (a string is sent as it is),
 * token as a bearer; the answer parsed as JSON, or its text when it is not JSON.
 */
export async function apiRequest<T = any>(
  baseUrl: string,
  method: string,
  urlPath: string,
  body: unknown,
  token: string | null,
  extraHeaders: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as T };
}

/** A class this stack created: its labs are ended in the database at stop (cleanUpRun). */
export function isClassCreated(method: string, urlPath: string, response: ApiResponse): response is ApiResponse<{ id: string }> {
  return method === 'POST' && urlPath === '/classes' && response.status === 201;
}

/** Runs `node <script>` from the repository root, its output in test-artifacts/<logName>.log. */
export function spawnLogged(script: string, env: NodeJS.ProcessEnv, logName: string): ChildProcess {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
  const log = createWriteStream(path.join(ROOT, 'test-artifacts', `${logName}.log`), { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** Stops a process of a test deployment as a supervisor would: SIGTERM, then SIGKILL if it is still there after 5 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
}

/**
 * Removes what a stopped test deployment left, whatever happened in the test: its Docker
 * objects on every engine (`engines`: docker CLI arguments; the local engine by default),
 * images included, its Redis keys, its private listener (fence-probes), its lab daemon's
 * socket folder, and its labs in the database.
 */
export async function cleanUpRun(run: { runId: string; databaseUrl: string | undefined; deploymentId: string; classIds: string[]; gatewayDir: string; engines?: string[][] }): Promise<void> {
  for (const engine of run.engines ?? [[]]) {
    try {
      sweepDocker(run.runId, engine);
    } catch (error) {
      console.warn(`sweep of run ${run.runId} on ${engine.join(' ') || 'the local engine'}: ${String(error)}`);
    }
  }
  // Images students build through their lab's daemon (docker build, commit) carry the run's label too.
  await removeTestObjects(run.runId).catch((error: unknown) => console.warn(`sweep of run ${run.runId}: ${String(error)}`));
  sweepRedis(`nltest-${run.runId}`);
  sweepPrivateListener(run.runId);
  rmSync(run.gatewayDir, { recursive: true, force: true });
  await endLabsInDatabase(run.databaseUrl, run.deploymentId, run.classIds);
}

/**
 * Ends the labs of a stopped test deployment in the database (every lab it made: its classes'
 * labs, those of classes an LTI launch made, the warm labs it kept), so no later run's
 * reconciler adopts them.
 */
export async function endLabsInDatabase(databaseUrl: string | undefined, deploymentId: string, classIds: string[]): Promise<void> {
  const db = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    // Warm labs this run's worker kept (WARM_LABS_PER_HOST) and nobody claimed: their pool is the deployment id.
    const warm = `select id from "Lab" where "warmPool" = $1 and "classId" is null`;
    await db.query(`delete from "Allocation" where "labId" in (${warm})`, [deploymentId]);
    await db.query(`update "Lab" set status = 'destroyed', "endReason" = coalesce("endReason", 'trimmed'), "destroyedAt" = now() where id in (${warm}) and status <> 'destroyed'`, [
      deploymentId,
    ]);
    const made = `select id from "Lab" where deployment = $1 and status <> 'destroyed'`;
    await db.query(`delete from "Allocation" where "labId" in (${made})`, [deploymentId]);
    await db.query(`update "Lab" set status = 'destroyed', "endReason" = coalesce("endReason", 'deleted'), "destroyedAt" = now() where id in (${made})`, [deploymentId]);
    // The run's own records of its hosts (each deployment keeps its own).
    await db.query(`delete from "DockerHost" where deployment = $1`, [deploymentId]);
    if (!classIds.length) return;
    await db.query(`delete from "Allocation" where "labId" in (select id from "Lab" where "classId" = any($1::uuid[]))`, [classIds]);
    await db.query(
      `update "Lab" set status = 'destroyed', "endReason" = coalesce("endReason", 'deleted'), "destroyedAt" = now() where "classId" = any($1::uuid[]) and status <> 'destroyed'`,
      [classIds],
    );
  } finally {
    await db.end();
  }
}

/**
 * Removes every container and network labelled netlabs.test=<runId>, whatever happened in the
 * test; `dockerArgs` select another engine (`-H tcp://... --tlsverify ...`), the local one by default.
 */
export function sweepDocker(runId: string, dockerArgs: string[] = []): void {
  const docker = (args: string[], options: Parameters<typeof execFileSync>[2] = {}) => execFileSync('docker', [...dockerArgs, ...args], options);
  const label = `label=netlabs.test=${runId}`;
  const containers = docker(['ps', '-aq', '--filter', label]).toString().split('\n').filter(Boolean);
  if (containers.length) docker(['rm', '-f', ...containers], { stdio: 'ignore' });
  const networks = docker(['network', 'ls', '-q', '--filter', label]).toString().split('\n').filter(Boolean);
  // One by one, and a refusal is only reported: engine 20.10 can keep a network "with active
  // endpoints" and no container until it restarts (see the README's teardown); the rest still goes.
  for (const network of networks) {
    try {
      docker(['network', 'rm', network], { stdio: 'pipe' });
    } catch (error) {
      console.warn(`sweep of run ${runId}: network ${network} left on the engine: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
    }
  }
  // Images students built or committed through their lab daemon carry the lab's labels too.
  const images = docker(['images', '-q', '--filter', label]).toString().split('\n').filter(Boolean);
  if (images.length) docker(['rmi', '-f', ...new Set(images)], { stdio: 'ignore' });
}

export function sweepRedis(prefix: string): void {
  try {
    execFileSync('sh', ['-c', `redis-cli -h 127.0.0.1 --scan --pattern '${prefix}:*' | xargs -r redis-cli -h 127.0.0.1 del >/dev/null`]);
  } catch {
    // Redis may be the thing a test stopped; keys expire with the test database anyway.
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Docker objects matching every filter (e.g. a label), as `docker` itself lists them. */
export function dockerObjects(kind: 'container' | 'network', filter: string | string[]): string[] {
  const filters = (Array.isArray(filter) ? filter : [filter]).flatMap((f) => ['--filter', f]);
  const args = kind === 'container' ? ['ps', '-aq', ...filters] : ['network', 'ls', '-q', ...filters];
  return execFileSync('docker', args).toString().split('\n').filter(Boolean);
}
