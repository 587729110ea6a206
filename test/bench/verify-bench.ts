/**
 * `verify 1b` with many students at once, beside its floor (issue 12). Part of
 * `npm run bench` (on its own: `npm run bench -- --only verify`; students: the second number, 50).
 *
 * - NetLabs: each student POSTs /labs/:id/steps/1b/verify with their own token and the right
 *   answer, all at once, with node:http (as dockerode for the floor); the time is the HTTP
 *   round trip (auth, rate limit, slot, checks, the stored attempt, the answer).
 * - Floor: the same fact read straight from the engine through dockerode, as many at once:
 *   an inspect of each lab's bridge network, reading its subnet.
 * Interleaved rounds (NetLabs, floor, NetLabs, floor...), so load on the machine weighs on
 * both. The first NetLabs round is a warm-up and not counted. Also printed: the CPU time the
 * worker and API processes spent per verify (from /proc, over the counted rounds).
 */
import http from 'node:http';
import Docker from 'dockerode';
import type { TestStack } from '../support/stack';
import { cpuMs, percentile, summary } from './stats';

type Lab = { id: string; token: string };

export async function benchVerify(stack: TestStack, students = 50, rounds = 30): Promise<void> {
  const created = await stack.request('POST', '/classes', {
    name: 'bench verify',
    labDefinitionId: 'docker-network',
    students: Array.from({ length: students }, (_, i) => ({ externalId: `verify-${i}` })),
  });
  if (created.status !== 201) throw new Error(`POST /classes: ${created.status} ${JSON.stringify(created.body)}`);
  const classId = created.body.id as string;
  try {
    const klass = await stack.waitForLabs(classId, (s) => s !== 'provisioning', 900_000);
    const failed = klass.labs.filter((l: { status: string }) => l.status !== 'ready');
    if (failed.length) throw new Error(`${failed.length} labs not ready: ${JSON.stringify(failed[0])}`);
    const labs = created.body.labs as Lab[];
    // The instructor reads each lab's answer (a student would see it masked).
    const answers = await Promise.all(labs.map(async (lab) => (await stack.request('GET', `/labs/${lab.id}`)).body.values.bridgeSubnet as string));
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    const networkIds = await Promise.all(labs.map(async (lab) => bridgeNetworkOf(docker, lab.id)));

    const netlabs: number[] = [];
    const floor: number[] = [];
    await verifyAll(stack, labs, answers); // warm-up: connections, first queue events
    const before = { worker: cpuMs(stack.workerPid), api: cpuMs(stack.apiPid) };
    let verifies = 0;
    for (let round = 0; round < rounds; round++) {
      netlabs.push(...(await verifyAll(stack, labs, answers)));
      verifies += labs.length;
      floor.push(...(await inspectAll(docker, networkIds, answers)));
    }
    const after = { worker: cpuMs(stack.workerPid), api: cpuMs(stack.apiPid) };

    console.log(summary(`verify 1b, ${students} students at once (NetLabs)`, netlabs));
    console.log(summary(`floor: network inspect, ${students} at once`, floor));
    const p50 = percentile(netlabs, 50) / percentile(floor, 50);
    const p95 = percentile(netlabs, 95) / percentile(floor, 95);
    console.log(`${'verify 1b / floor'.padEnd(48)} p50 ${p50.toFixed(2)}x  p95 ${p95.toFixed(2)}x  (goal: p95 <= 2x)`);
    console.log(
      `${'CPU per verify'.padEnd(48)} worker ${((after.worker - before.worker) / verifies).toFixed(1)} ms  api ${((after.api - before.api) / verifies).toFixed(1)} ms  (${verifies} verifies)`,
    );
  } finally {
    await stack.request('DELETE', `/classes/${classId}`);
    await stack.waitForLabs(classId, (s) => s === 'destroyed', 600_000).catch((error: unknown) => console.warn(`teardown of the verify class: ${String(error)}`));
  }
}

/**
 * The students' HTTP client: node:http with keep-alive, the client dockerode uses for the floor,
 * so both sides pay the same client cost on this machine (fetch, the stack's own client, spends
 * about 1 ms more CPU a request here, taken from the 2 cores everything shares).
 */
const agent = new http.Agent({ keepAlive: true });

function post(url: string, body: unknown, token: string): Promise<{ status: number; body: { passed?: boolean } }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${token}` } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            reject(new Error(`${url}: ${response.statusCode} ${text.slice(0, 200)}`));
          }
        });
      },
    );
    request.on('error', reject);
    request.end(data);
  });
}

/** Every lab verifies 1b at once; the round trip of each, in ms. */
async function verifyAll(stack: TestStack, labs: Lab[], answers: string[]): Promise<number[]> {
  return Promise.all(
    labs.map(async (lab, i) => {
      const t0 = performance.now();
      const result = await post(`${stack.apiUrl}/labs/${lab.id}/steps/1b/verify`, { answer: answers[i] }, lab.token);
      const ms = performance.now() - t0;
      if (result.status !== 200 || !result.body.passed) throw new Error(`verify ${lab.id}: ${result.status} ${JSON.stringify(result.body)}`);
      return ms;
    }),
  );
}

/** The same fact straight from the engine: each lab's bridge network inspected at once, its subnet read. */
async function inspectAll(docker: Docker, networkIds: string[], answers: string[]): Promise<number[]> {
  return Promise.all(
    networkIds.map(async (id, i) => {
      const t0 = performance.now();
      const info = await docker.getNetwork(id).inspect();
      const ms = performance.now() - t0;
      const subnet = info.IPAM?.Config?.[0]?.Subnet;
      if (subnet !== answers[i]) throw new Error(`network ${id}: subnet ${subnet}, expected ${answers[i]}`);
      return ms;
    }),
  );
}

/** The engine id of the lab's default bridge network (netlabs.name=bridge). */
async function bridgeNetworkOf(docker: Docker, labId: string): Promise<string> {
  const listed = await docker.listNetworks({ filters: { label: [`netlabs.lab=${labId}`, 'netlabs.name=bridge'] } });
  if (listed.length !== 1) throw new Error(`lab ${labId}: ${listed.length} bridge networks on the engine`);
  return listed[0].Id;
}
