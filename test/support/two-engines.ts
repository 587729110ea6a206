import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { sweepDocker, TestStack } from './stack';

/** This machine's Docker engine: host `local`. */
export const ENGINE_A = 'unix:///var/run/docker.sock';
/** The second engine of infra/second-engine.sh, standing in for a second Docker host: host `b`. */
export const ENGINE_B = 'unix:///var/run/netlabs-docker-b.sock';

/**
 * Engine b is one per machine, shared by every test run on it (parallel runs, CI). A run
 * that stops or restarts it (faults-engine, isolation) would fail the labs of another run
 * placed there, so runs take this lock while they need it: shared to use the engine,
 * exclusive to stop it.
 */
const ENGINE_B_LOCK = '/var/run/netlabs-docker-b.lock';
/** How long a run waits for the lock: another run's whole file may hold it. */
export const ENGINE_B_LOCK_WAIT_MS = 20 * 60_000;

/** Starts engine b if it is not running (idempotent), with the lab images. */
export function startEngineB(): void {
  execFileSync('bash', ['infra/second-engine.sh'], { stdio: 'ignore' });
}

/** Stops engine b, as a host that goes away. Only under the exclusive lock (holdEngineB). */
export function stopEngineB(): void {
  execFileSync('bash', ['infra/second-engine.sh', 'stop'], { stdio: 'ignore' });
}

/**
 * Takes the engine-b lock, waiting for other runs; resolves with its release. Held by a
 * `flock` child process: if this process dies, the lock goes with it.
 */
export function holdEngineB(mode: 'shared' | 'exclusive'): Promise<() => Promise<void>> {
  const holder: ChildProcess = spawn('flock', [mode === 'shared' ? '-s' : '-x', '-w', String(ENGINE_B_LOCK_WAIT_MS / 1000), ENGINE_B_LOCK, '-c', 'echo held; exec cat'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const release = async () => {
    if (holder.exitCode !== null) return;
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.stdin?.end();
    await exited;
  };
  return new Promise((resolve, reject) => {
    holder.once('error', reject);
    holder.stdout?.once('data', () => resolve(release));
    holder.once('exit', (code) => reject(new Error(`could not take the engine-b lock ${ENGINE_B_LOCK} (${mode}) within ${ENGINE_B_LOCK_WAIT_MS} ms: flock exited ${code}`)));
  });
}

/**
 * A TestStack whose Docker hosts are `local` (ENGINE_A) and `b` (ENGINE_B), with the
 * file's hooks: the engine-b lock is taken (exclusive when the file stops engine b, shared
 * otherwise) and engine b started before the stack; after the stack stops, what the run
 * left on b is swept (TestStack.stop sweeps the local engine only), b started again first
 * if a test stopped it, and the lock given back. Engine b is left running for other runs.
 * ALLOCATION_SCOPE is `shared`: both engines share this kernel, hence one subnet pool.
 */
export function twoEngineStack(overrides: Record<string, string> = {}, { stopsEngineB = false } = {}): TestStack {
  const stack = new TestStack({ DOCKER_HOSTS: `local=${ENGINE_A},b=${ENGINE_B}`, ALLOCATION_SCOPE: 'shared', ...overrides });
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    release = await holdEngineB(stopsEngineB ? 'exclusive' : 'shared');
    startEngineB();
    await stack.start();
  }, ENGINE_B_LOCK_WAIT_MS + 180_000);
  afterAll(async () => {
    try {
      await stack.stop();
    } finally {
      try {
        if (release) {
          startEngineB();
          sweepDocker(stack.runId, ['-H', ENGINE_B]);
        }
      } finally {
        await release?.();
      }
    }
  });
  return stack;
}
