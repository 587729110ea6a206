/**
 * NetLabs benchmark (not a test): run with `npm run bench -- [labs=20] [verifiers=50] [gateway rounds=20]`
 * after `npm test` or `bash infra/setup.sh` (it needs the built dist/ and the stack).
 * `--only <name>[,<name>...]` runs some scenarios only (all by default):
 *
 * - provision: cold provisioning beside its dockerode floor, one lab and a class of 30
 *   (provision-bench.ts; rounds BENCH_PROVISION_RUNS, class BENCH_CLASS_SIZE).
 * - cli: N labs through POST /classes beside the same network work done with the plain
 *   `docker` CLI, same machine, same run.
 * - verify: V students verifying 1b at once beside the engine's floor (verify-bench.ts;
 *   `--verify-rounds R`, default 30: fewer make its p95 a matter of one or two rounds).
 * - gateway: `docker ps`, `run -d`, `exec` through a lab's daemon vs the engine socket (gateway-bench.ts).
 * - teardown: a class of labs with all TP containers, DELETE /classes vs `docker rm -f` +
 *   `network rm` (teardown-bench.ts; `--teardown-labs N`, default 50; `--teardown-rounds R`, default 2,
 *   alternating which goes first).
 * - warm: a class of 30 (`--warm-students N`) claiming warm labs vs the same class cold,
 *   each on a stack of its own (warm-bench.ts).
 * - terminal: 50 terminals (`--terminal-sessions N`, `--terminal-rounds R`) typing at once,
 *   echo round trip beside raw TTY execs of the same shell, on a stack of its own (terminal-bench.ts).
 * - steps: steps 1a-3c, each step's solution run through NetLabs beside the TP's commands with the
 *   plain docker CLI, one lab at a time (`--steps-rounds N`, default 3), on a stack of its own (steps-bench.ts).
 * - scale: a class of 100 (`--scale-labs N`) on two Docker hosts beside the same class on one,
 *   two API processes behind nginx and two workers each (scale-bench.ts; `--second-engine unix`
 *   for the plain second engine instead of the TLS one).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { TestStack } from '../support/stack';
import { FloorSubnets, requireLabRoom, TESTS_SUBNET_POOL } from './bench-pools';
import { benchGateway } from './gateway-bench';
import { benchProvision } from './provision-bench';
import { benchScale } from './scale-bench';
import { benchSteps } from './steps-bench';
import { percentile, summary } from './stats';
import { benchTeardown } from './teardown-bench';
import { benchTerminal } from './terminal-bench';
import { benchVerify } from './verify-bench';
import { benchWarm } from './warm-bench';

const run = promisify(execFile);

/** `--name value` options out of argv (`--only a,b`: the scenarios to run); the rest stay positional. */
function parseArgs(argv: string[]): { positional: string[]; named: Map<string, string>; wants: (name: string) => boolean } {
  const named = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) named.set(argv[i].slice(2), argv[++i] ?? '');
    else positional.push(argv[i]);
  }
  const only = named.get('only')?.split(',');
  return { positional, named, wants: (name) => !only || only.includes(name) };
}

async function main(): Promise<void> {
  const { positional, named, wants } = parseArgs(process.argv.slice(2));
  const labs = Number(positional[0] ?? 20);
  const verifiers = Number(positional[1] ?? 50);
  const gatewayRounds = Number(positional[2] ?? 20);
  process.env.LAB_IMAGE_HTTPD ??= 'netlabs-local/httpd:2.4';
  process.env.LAB_IMAGE_UBUNTU ??= 'netlabs-local/ubuntu:24.04';
  process.env.LAB_IMAGE_CONSOLE ??= 'netlabs-local/console:1';
  process.env.LAB_IMAGE_PULL ??= 'false';
  process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/netlabs_test';
  // The tests' pools (infra/test.sh): never what a NetLabs running on the same engine uses by default.
  process.env.LAB_SUBNET_POOL ??= TESTS_SUBNET_POOL;
  process.env.LAB_PORT_MIN ??= '30000';
  process.env.LAB_PORT_MAX ??= '32767';
  // Scenarios with stacks of their own only: no shared stack to start.
  if (['provision', 'cli', 'verify', 'gateway', 'teardown'].some(wants)) await withSharedStack({ labs, verifiers, gatewayRounds, named, wants });
  // Warm labs need stacks of their own (a pool size set at start).
  if (wants('warm')) await benchWarm(Number(named.get('warm-students') ?? 30));
  if (wants('terminal')) await benchTerminal(Number(named.get('terminal-sessions') ?? 50), Number(named.get('terminal-rounds') ?? 20));
  if (wants('steps')) await benchSteps(Number(named.get('steps-rounds') ?? 3));
  if (wants('scale')) await benchScale(Number(named.get('scale-labs') ?? 100), named.get('second-engine') === 'unix' ? 'unix' : 'tls');
}

async function withSharedStack({ labs, verifiers, gatewayRounds, named, wants }: { labs: number; verifiers: number; gatewayRounds: number; named: Map<string, string>; wants: (name: string) => boolean }): Promise<void> {
  // The most labs the stack holds at once: a provisioning round's class; the cli class (one lab for
  // the gateway) with the verifiers' class beside it; the teardown's class (after the cli class went).
  const classSize = Number(process.env.BENCH_CLASS_SIZE ?? 30);
  const teardownLabs = Number(named.get('teardown-labs') ?? 50);
  const apiLabs = wants('cli') ? labs : wants('gateway') ? 1 : 0;
  requireLabRoom(Math.max(wants('provision') ? classSize : 0, apiLabs + (wants('verify') ? verifiers : 0), wants('teardown') ? teardownLabs : 0), 'this run of the shared-stack scenarios');
  const socketDir = mkdtempSync(path.join(tmpdir(), 'nl-bench-'));
  const socketPath = path.join(socketDir, 'gateway.sock');
  const stack = new TestStack({ GATEWAY_SOCKET: socketPath });
  await stack.start();
  try {
    if (wants('cli') || wants('verify')) console.log(`NetLabs benchmark: ${labs} labs, ${verifiers} concurrent verifiers (PROVISION_CONCURRENCY=${process.env.PROVISION_CONCURRENCY ?? 8})`);
    if (wants('provision')) {
      await benchProvision(stack, { gatewaySocket: socketPath, runs: Number(process.env.BENCH_PROVISION_RUNS ?? 5), classSize });
    }
    let apiTimes: Awaited<ReturnType<typeof provisionThroughApi>> | undefined;
    if (wants('cli') || wants('gateway')) apiTimes = await provisionThroughApi(stack, wants('cli') ? labs : 1);
    if (wants('cli')) {
      const cliTimes = await provisionWithCli(stack.runId, labs);
      console.log(summary('POST /classes -> lab ready (NetLabs API)', apiTimes!.times));
      console.log(summary('same Docker work, plain docker CLI', cliTimes));
      const ratio = (p: number) => (percentile(apiTimes!.times, p) / percentile(cliTimes, p)).toFixed(2);
      console.log(`  NetLabs / CLI: p50 ${ratio(50)}x  p95 ${ratio(95)}x`);
    }
    if (wants('verify')) await benchVerify(stack, verifiers, Number(named.get('verify-rounds') ?? 30));
    if (wants('gateway')) await benchGateway(stack, socketPath, apiTimes!.labs[0].id, gatewayRounds);
    if (apiTimes) {
      await stack.request('DELETE', `/classes/${apiTimes.classId}`);
      await stack.waitForLabs(apiTimes.classId, (s) => s === 'destroyed', 300_000);
    }
    if (wants('teardown')) await benchTeardown(stack, teardownLabs, Number(named.get('teardown-rounds') ?? 2));
  } finally {
    await stack.stop();
    rmSync(socketDir, { recursive: true, force: true });
  }
}

async function provisionThroughApi(stack: TestStack, n: number) {
  const started = Date.now();
  const created = await stack.request('POST', '/classes', {
    name: 'bench',
    labDefinitionId: 'docker-network',
    students: Array.from({ length: n }, (_, i) => ({ externalId: `bench-${i}` })),
  });
  if (created.status !== 201) throw new Error(`POST /classes: ${created.status} ${JSON.stringify(created.body)}`);
  const readyAt = new Map<string, number>();
  while (readyAt.size < n) {
    if (Date.now() - started > 600_000) throw new Error('labs not ready after 10 min');
    const klass = await stack.request('GET', `/classes/${created.body.id}`);
    for (const lab of klass.body.labs) {
      if (lab.status === 'failed') throw new Error(`lab ${lab.id} failed: ${lab.failureReason}`);
      if (lab.status === 'ready' && !readyAt.has(lab.id)) readyAt.set(lab.id, Date.now() - started);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { classId: created.body.id as string, times: [...readyAt.values()], labs: created.body.labs as { id: string; token: string }[] };
}

/** The Docker work of provisioning, with the CLI, PROVISION_CONCURRENCY at a time (subnets out of BENCH_FLOOR_POOL). */
async function provisionWithCli(runId: string, n: number): Promise<number[]> {
  const concurrency = Number(process.env.PROVISION_CONCURRENCY ?? 8);
  const subnets = await FloorSubnets.open(new Docker({ socketPath: '/var/run/docker.sock' }), n, 'the CLI floor');
  const started = Date.now();
  const times: number[] = [];
  let next = 0;
  const names: string[] = [];
  async function one(i: number) {
    const name = `nlbench-${runId}-${i}`;
    await Promise.all([
      subnets.create(async ({ subnet, gateway }) => {
        await run('docker', ['network', 'create', '--driver', 'bridge', '--subnet', subnet, '--gateway', gateway,
          '-o', `com.docker.network.bridge.name=nlbb${runId.slice(0, 4)}${i}`, '--label', `netlabs.test=${runId}`, '--label', `netlabs.lab=bench-${i}`, name]);
        names.push(name);
      }),
      run('docker', ['image', 'inspect', process.env.LAB_IMAGE_HTTPD!]),
      run('docker', ['image', 'inspect', process.env.LAB_IMAGE_UBUNTU!]),
    ]);
    times.push(Date.now() - started);
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await one(next++);
    }));
  } finally {
    if (names.length) await run('docker', ['network', 'rm', ...names]).catch(() => undefined);
  }
  return times;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
