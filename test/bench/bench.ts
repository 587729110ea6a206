/**
 * NetLabs benchmark (not a test): run with `npm run bench -- [labs=20] [verifiers=20] [gateway rounds=20]`
 * after `npm test` or `bash infra/setup.sh` (it needs the built dist/ and the stack).
 *
 * 1. Provisioning: N labs through POST /classes, time from the POST to each lab `ready`,
 *    beside the same Docker work (one bridge network per lab with its subnet and bridge
 *    name, image checks) done with the plain `docker` CLI, same machine, same run.
 * 2. Verify round trips: V students verifying a step at once, p50/p95 of the HTTP round trip.
 * 3. The lab daemon: `docker ps`, `run -d`, `exec` through a lab's gateway vs the engine socket (gateway-bench.ts).
 * `--only warm [students=30]`: warm labs claimed by a class vs the same class cold (warm-bench.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestStack } from '../support/stack';
import { benchGateway } from './gateway-bench';
import { benchWarm } from './warm-bench';
import { summary } from './stats';

const run = promisify(execFile);

/** `--only <name>` picks one scenario (its own arguments follow); without it, the positional arguments as before. */
function takeOnly(argv: string[]): { only?: string; args: string[] } {
  const at = argv.indexOf('--only');
  if (at < 0) return { args: argv.slice(2) };
  return { only: argv[at + 1], args: [...argv.slice(2, at), ...argv.slice(at + 2)] };
}

async function main(): Promise<void> {
  const { only, args } = takeOnly(process.argv);
  const labs = Number(args[0] ?? 20);
  const verifiers = Number(args[1] ?? 20);
  const gatewayRounds = Number(args[2] ?? 20);
  process.env.LAB_IMAGE_HTTPD ??= 'netlabs-local/httpd:2.4';
  process.env.LAB_IMAGE_UBUNTU ??= 'netlabs-local/ubuntu:24.04';
  process.env.LAB_IMAGE_CONSOLE ??= 'netlabs-local/console:1';
  process.env.LAB_IMAGE_PULL ??= 'false';
  process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/netlabs_test';
  process.env.LAB_SUBNET_POOL ??= '10.98.0.0/15';
  if (only === 'warm') return benchWarm(args[0] ? Number(args[0]) : undefined);
  if (only) throw new Error(`--only ${only}: unknown scenario (warm)`);
  const socketDir = mkdtempSync(path.join(tmpdir(), 'nl-bench-'));
  const socketPath = path.join(socketDir, 'gateway.sock');
  const stack = new TestStack({ GATEWAY_SOCKET: socketPath });
  await stack.start();
  try {
    console.log(`NetLabs benchmark: ${labs} labs, ${verifiers} concurrent verifiers (PROVISION_CONCURRENCY=${process.env.PROVISION_CONCURRENCY ?? 8})`);
    const apiTimes = await provisionThroughApi(stack, labs);
    const cliTimes = await provisionWithCli(stack.runId, labs);
    console.log(summary('POST /classes -> lab ready (NetLabs API)', apiTimes.times));
    console.log(summary('same Docker work, plain docker CLI', cliTimes));
    const verifyTimes = await verifyConcurrently(stack, apiTimes.labs.slice(0, verifiers));
    console.log(summary(`verify step 1b round trip, ${verifiers} at once`, verifyTimes));
    await benchGateway(stack, socketPath, apiTimes.labs[0].id, gatewayRounds);
    await stack.request('DELETE', `/classes/${apiTimes.classId}`);
    await stack.waitForLabs(apiTimes.classId, (s) => s === 'destroyed', 300_000);
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

/** The Docker work of provisioning, with the CLI, PROVISION_CONCURRENCY at a time. */
async function provisionWithCli(runId: string, n: number): Promise<number[]> {
  const concurrency = Number(process.env.PROVISION_CONCURRENCY ?? 8);
  const started = Date.now();
  const times: number[] = [];
  let next = 0;
  const names: string[] = [];
  async function one(i: number) {
    const name = `nlbench-${runId}-${i}`;
    names.push(name);
    await Promise.all([
      run('docker', ['network', 'create', '--driver', 'bridge', '--subnet', `10.251.${i % 256}.0/24`, '--gateway', `10.251.${i % 256}.1`,
        '-o', `com.docker.network.bridge.name=nlbb${runId.slice(0, 4)}${i}`, '--label', `netlabs.test=${runId}`, '--label', `netlabs.lab=bench-${i}`, name]),
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

async function verifyConcurrently(stack: TestStack, labs: { id: string; token: string }[]): Promise<number[]> {
  const answers = await Promise.all(labs.map(async (lab) => (await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).body.values.bridgeSubnet as string));
  return Promise.all(labs.map(async (lab, i) => {
    const t0 = Date.now();
    const result = await stack.request('POST', `/labs/${lab.id}/steps/1b/verify`, { answer: answers[i] }, lab.token);
    if (result.status !== 200 || !result.body.passed) throw new Error(`verify ${lab.id}: ${result.status} ${JSON.stringify(result.body)}`);
    return Date.now() - t0;
  }));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
