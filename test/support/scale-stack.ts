import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ApiResponse, apiRequest, cleanUpRun, freePort, isClassCreated, ROOT, spawnLogged, stopProcess } from './stack';
import { waitFor } from './wait-for';

export interface ScaleStackOptions {
  /** API processes (default 2), named api1, api2... */
  apis?: number;
  /** Worker processes (default 2), named worker1, worker2... */
  workers?: number;
  /** Variables every process gets (over the test defaults below). */
  env?: Record<string, string>;
  /** Variables of one process only, by its name: `{ api2: { GATEWAY_SOCKET: ... } }`. */
  perProcess?: Record<string, Record<string, string>>;
  /** The docker CLI's arguments of every engine the deployment uses, to sweep them at stop (default: the local one). */
  engines?: string[][];
  /**
   * Runs the consoles' lab daemon as a process of its own (`gateway`: dist/apps/gateway, what
   * infra/engine-host.sh starts on a Docker host), so no API process holds it and any can be
   * killed. Without it, api1 serves it.
   */
  labDaemon?: boolean;
}

/** One process of the deployment, as the test sees it. */
export interface StackProcess {
  name: string;
  child: ChildProcess;
  /** The API's own url (API processes only): the proxy is the address students use. */
  url?: string;
  port?: number;
}

/**
 * One NetLabs deployment as a school runs it, on this machine: several API processes and
 * several workers (same database, Redis prefix and engines) and the shipped nginx
 * configuration in front of the APIs (infra/proxy.sh). Students and the test talk to the
 * proxy (`proxyUrl`); each process can be killed on its own (SIGKILL, as a crash). `stop()`
 * stops everything it started and sweeps the run's Docker objects (on every engine), Redis
 * keys and live labs, whatever happened in the test.
 */
export class ScaleStack {
  readonly runId = randomBytes(4).toString('hex');
  readonly adminToken = `admin-${randomBytes(16).toString('hex')}`;
  readonly deploymentId = `test-${this.runId}`;
  proxyUrl = '';
  proxyPort = 0;
  readonly processes = new Map<string, StackProcess>();
  private env: NodeJS.ProcessEnv = {};
  private readonly gatewayDir = path.join(tmpdir(), `netlabs-gw-${this.runId}`);
  private readonly classIds: string[] = [];

  constructor(private readonly options: ScaleStackOptions = {}) {}

  /** Workers first, then the API processes (each until it answers /health), then the proxy. */
  async start(): Promise<void> {
    this.env = {
      ...process.env,
      ADMIN_TOKEN: this.adminToken,
      QUEUE_PREFIX: `nltest-${this.runId}`,
      LAB_LABELS: `netlabs.test=${this.runId}`,
      DEPLOYMENT_ID: this.deploymentId,
      JOB_LOCK_MS: '4000',
      GATEWAY_SOCKET: path.join(this.gatewayDir, 'gateway.sock'),
      // The lab daemon's own process has no admin token to derive it from.
      GATEWAY_SECRET: randomBytes(24).toString('hex'),
      ...this.options.env,
    };
    for (let i = 1; i <= (this.options.workers ?? 2); i++) this.spawn(`worker${i}`, 'dist/apps/worker/main.js');
    if (this.options.labDaemon) await this.startLabDaemon();
    const apis: StackProcess[] = [];
    for (let i = 1; i <= (this.options.apis ?? 2); i++) {
      const port = await freePort();
      apis.push(this.spawn(`api${i}`, 'dist/apps/api/main.js', port));
    }
    await Promise.all(apis.map((api) => this.waitForApi(api)));
    this.proxyPort = await freePort();
    execFileSync('bash', ['infra/proxy.sh', 'start', String(this.proxyPort), ...apis.map((api) => String(api.port))], { cwd: ROOT, stdio: 'pipe' });
    this.proxyUrl = `http://127.0.0.1:${this.proxyPort}`;
  }

  /** The API process that listens on `port` (to read which process nginx chose, from its log). */
  apiByPort(port: number): StackProcess | undefined {
    return [...this.processes.values()].find((p) => p.port === port);
  }

  get(name: string): StackProcess {
    const found = this.processes.get(name);
    if (!found) throw new Error(`no process ${name} in this stack`);
    return found;
  }

  /** Kills one process the hard way (no graceful shutdown), as a crash or a lost machine would. */
  async kill(name: string): Promise<void> {
    const { child } = this.get(name);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * The proxy's access log, one entry per request it finished: method and path, status, and
   * the API port(s) nginx passed it to (`upstreams`, in order: a failed one, then the next).
   */
  proxyLog(): { request: string; status: number; upstreams: number[] }[] {
    const file = `/run/netlabs-proxy-${this.proxyPort}/logs/access.log`;
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        // infra/proxy.sh's log_format: $status "$request" $upstream_addr
        const [, status, request, upstream] = /^(\d+) "(.*)" (.*)$/.exec(line) ?? [];
        const upstreams = [...(upstream ?? '').matchAll(/:(\d+)/g)].map((m) => Number(m[1]));
        return { request: request ?? line, status: Number(status), upstreams };
      });
  }

  /** A request through the proxy, as a student's browser or an LMS sends it. */
  async request<T = any>(method: string, urlPath: string, body?: unknown, token: string | null = this.adminToken, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.requestAt(this.proxyUrl, method, urlPath, body, token, headers);
  }

  async requestAt<T = any>(
    baseUrl: string,
    method: string,
    urlPath: string,
    body?: unknown,
    token: string | null = this.adminToken,
    extraHeaders: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const response = await apiRequest<T>(baseUrl, method, urlPath, body, token, extraHeaders);
    if (isClassCreated(method, urlPath, response)) this.classIds.push(response.body.id);
    return response;
  }

  /** Until every lab of the class satisfies `done` (read through the proxy); returns the class. */
  async waitForLabs(classId: string, done: (status: string) => boolean, timeoutMs = 300_000) {
    return waitFor(
      `labs of class ${classId}`,
      async () => {
        const found = await this.request('GET', `/classes/${classId}`);
        return found.status === 200 && found.body.labs.every((lab: { status: string }) => done(lab.status)) ? found.body : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  }

  /** Every process at once (a stack of many), the proxy, then the run's leftovers on every engine. */
  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map(({ child }) => stopProcess(child)));
    if (this.proxyPort) execFileSync('bash', ['infra/proxy.sh', 'stop', String(this.proxyPort)], { cwd: ROOT, stdio: 'ignore' });
    await cleanUpRun({
      runId: this.runId,
      databaseUrl: this.env.DATABASE_URL,
      deploymentId: this.deploymentId,
      classIds: this.classIds,
      gatewayDir: this.gatewayDir,
      engines: this.options.engines,
    });
  }

  /** What a Docker host runs beside its engine: no admin token, no Redis, no port; until its socket is there. */
  private async startLabDaemon(): Promise<void> {
    const { ADMIN_TOKEN: _admin, REDIS_URL: _redis, ...env } = this.env;
    const daemon = this.spawn('gateway', 'dist/apps/gateway/main.js', undefined, env);
    const socket = String(this.env.GATEWAY_SOCKET);
    const state = await waitFor('the lab daemon socket', () => (daemon.child.exitCode !== null ? 'exited' : existsSync(socket) && 'up'), { timeoutMs: 60_000 });
    if (state === 'exited') throw new Error(`the lab daemon exited with code ${daemon.child.exitCode}: see test-artifacts/gateway-${this.runId}.log`);
  }

  private spawn(name: string, script: string, port?: number, baseEnv: NodeJS.ProcessEnv = this.env): StackProcess {
    // One lab daemon per engine machine: the consoles mount the socket of the workers'
    // GATEWAY_SOCKET, served by the `gateway` process or else by api1. Another API process
    // binding that same path would take it over (and take it down with it), so the others
    // serve theirs where nothing mounts it.
    const ownSocket = port && (name !== 'api1' || this.options.labDaemon) ? { GATEWAY_SOCKET: path.join(this.gatewayDir, `gateway-${name}.sock`) } : {};
    const env = { ...baseEnv, ...ownSocket, ...(port ? { PORT: String(port) } : {}), ...this.options.perProcess?.[name] };
    const child = spawnLogged(script, env, `${name}-${this.runId}`);
    const entry: StackProcess = { name, child, port, url: port ? `http://127.0.0.1:${port}` : undefined };
    this.processes.set(name, entry);
    return entry;
  }

  private async waitForApi(api: StackProcess): Promise<void> {
    const answered = await waitFor(
      `${api.name} to answer /health`,
      async () => (api.child.exitCode !== null ? 'exited' : (await fetch(`${api.url}/health`)).ok && 'up'),
      { timeoutMs: 90_000 },
    );
    if (answered === 'exited') throw new Error(`${api.name} exited with code ${api.child.exitCode}: see test-artifacts/${api.name}-${this.runId}.log`);
  }
}
