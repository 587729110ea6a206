/**
 * Scale out (issue 14): `npm run bench -- --only scale [--scale-labs 100] [--second-engine tls|unix]`.
 *
 * The same deployment twice (test/support/scale-stack.ts: two API processes behind the
 * shipped nginx, two workers), once with one Docker host and once with two: the local engine
 * and engine "c" over mutual TLS (infra/tls-engine.sh, certificates from
 * infra/engine-certs.sh), or the second unix engine (infra/second-engine.sh) with
 * `--second-engine unix`. Each round POSTs a class of N labs through the proxy and times each
 * lab until `ready` (polled every 250 ms) and the class until all are ready; then deletes it
 * (untimed). Rounds alternate one host / two hosts (BENCH_SCALE_RUNS, default 2 each).
 * Printed: p50 of the labs' ready times and the all-ready time of each, and two hosts / one host.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScaleStack } from '../support/scale-stack';
import { freePort } from '../support/stack';
import { requireLabRoom } from './bench-pools';
import { percentile, summary } from './stats';

interface SecondEngine {
  /** DOCKER_HOSTS entry and the env it needs. */
  hosts: string;
  env: Record<string, string>;
  docker: string[];
  stop(): void;
}

async function tlsEngine(): Promise<SecondEngine> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-bench-certs-'));
  execFileSync('bash', ['infra/engine-certs.sh', path.join(dir, 'engine'), '127.0.0.1'], { stdio: 'pipe' });
  const port = await freePort();
  execFileSync('bash', ['infra/tls-engine.sh', 'start', path.join(dir, 'engine'), String(port)], { stdio: 'pipe' });
  mkdirSync(path.join(dir, 'netlabs', 'c'), { recursive: true });
  for (const file of ['ca.pem', 'cert.pem', 'key.pem']) copyFileSync(path.join(dir, 'engine', file), path.join(dir, 'netlabs', 'c', file));
  const pem = (file: string) => path.join(dir, 'engine', file);
  return {
    hosts: `c=tcp://127.0.0.1:${port}`,
    env: { DOCKER_CERT_DIR: path.join(dir, 'netlabs') },
    docker: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', pem('ca.pem'), '--tlscert', pem('cert.pem'), '--tlskey', pem('key.pem')],
    stop() {
      execFileSync('bash', ['infra/tls-engine.sh', 'stop'], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function unixEngine(): SecondEngine {
  execFileSync('bash', ['infra/second-engine.sh'], { stdio: 'pipe' });
  return { hosts: 'c=unix:///var/run/netlabs-docker-b.sock', env: {}, docker: ['-H', 'unix:///var/run/netlabs-docker-b.sock'], stop: () => undefined };
}

/** One class of n labs through the proxy: each lab's ms until ready, and the class's. */
async function oneClass(stack: ScaleStack, n: number, round: number): Promise<{ labs: number[]; all: number; perHost: Record<string, number> }> {
  const started = performance.now();
  const created = await stack.request('POST', '/classes', {
    name: `bench scale ${round}`,
    labDefinitionId: 'docker-network',
    students: Array.from({ length: n }, (_, i) => ({ externalId: `scale-${round}-${i}` })),
  });
  if (created.status !== 201) throw new Error(`POST /classes: ${created.status} ${JSON.stringify(created.body)}`);
  const readyAt = new Map<string, number>();
  let all = 0;
  for (;;) {
    const klass = await stack.request('GET', `/classes/${created.body.id}`);
    const labs = (klass.body?.labs ?? []) as { id: string; status: string; failureReason?: string }[];
    const failed = labs.find((l) => l.status === 'failed');
    if (failed) throw new Error(`lab ${failed.id} failed: ${failed.failureReason}`);
    for (const lab of labs) if (lab.status === 'ready' && !readyAt.has(lab.id)) readyAt.set(lab.id, performance.now() - started);
    if (readyAt.size === n) {
      all = Math.max(...readyAt.values());
      break;
    }
    if (performance.now() - started > 900_000) throw new Error(`class of ${n} not ready after 15 min`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const perHost: Record<string, number> = {};
  for (const lab of created.body.labs as { id: string }[]) {
    const host = (await stack.request('GET', `/labs/${lab.id}`)).body.hostId ?? '?';
    perHost[host] = (perHost[host] ?? 0) + 1;
  }
  await stack.request('DELETE', `/classes/${created.body.id}`);
  await stack.waitForLabs(created.body.id, (s) => s === 'destroyed', 900_000);
  return { labs: [...readyAt.values()], all, perHost };
}

export async function benchScale(labs = 100, secondEngine: 'tls' | 'unix' = 'tls'): Promise<void> {
  const runs = Number(process.env.BENCH_SCALE_RUNS ?? 2);
  // One class at a time; ALLOCATION_SCOPE=shared: subnets and ports unique across both engines.
  requireLabRoom(labs, 'the scale scenario');
  const second = secondEngine === 'tls' ? await tlsEngine() : unixEngine();
  const common = { ALLOCATION_SCOPE: 'shared', HOST_MAX_LABS: String(labs), ...second.env };
  const oneHost = new ScaleStack({ env: { ...common, DOCKER_HOSTS: 'local=unix:///var/run/docker.sock' } });
  const twoHosts = new ScaleStack({ env: { ...common, DOCKER_HOSTS: `local=unix:///var/run/docker.sock,${second.hosts}` }, engines: [[], second.docker] });
  const results = { one: { labs: [] as number[], all: [] as number[] }, two: { labs: [] as number[], all: [] as number[] } };
  try {
    await oneHost.start();
    await twoHosts.start();
    for (let round = 0; round < runs; round++) {
      const order: ['one' | 'two', ScaleStack][] = [['one', oneHost], ['two', twoHosts]];
      if (round % 2) order.reverse();
      for (const [name, stack] of order) {
        const result = await oneClass(stack, labs, round);
        results[name].labs.push(...result.labs);
        results[name].all.push(result.all);
        console.log(`  round ${round + 1}, ${name === 'one' ? 'one host ' : 'two hosts'}: all ready in ${Math.round(result.all)} ms, labs per host ${JSON.stringify(result.perHost)}`);
      }
    }
  } finally {
    await oneHost.stop();
    await twoHosts.stop();
    second.stop();
  }
  const p50 = (values: number[]) => percentile(values, 50);
  console.log(`\nA class of ${labs} labs, two API processes behind nginx, two workers (PROVISION_CONCURRENCY=${process.env.PROVISION_CONCURRENCY ?? 8} each), ${runs} rounds each:`);
  console.log(summary('one host: POST /classes -> each lab ready', results.one.labs));
  console.log(summary('two hosts: POST /classes -> each lab ready', results.two.labs));
  console.log(summary('one host: POST /classes -> all ready', results.one.all));
  console.log(summary('two hosts: POST /classes -> all ready', results.two.all));
  console.log(
    `  two hosts / one host: lab ready p50 ${(p50(results.two.labs) / p50(results.one.labs)).toFixed(2)}x, all ready p50 ${(p50(results.two.all) / p50(results.one.all)).toFixed(2)}x (second engine: ${secondEngine})`,
  );
}
