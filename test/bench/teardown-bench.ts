/**
 * Tearing down a class with all its TP containers, beside the CLI floor, same run:
 *
 * 1. A class of N labs through POST /classes; each lab runs the solutions of steps 2c, 3b
 *    and 3c (mon-serveur, container1, container2, the chat network, chat_serveur and three
 *    clients) beside its console: 8 containers and 2 networks per lab, as at the end of the TP.
 * 2. The floor's objects: for every lab, a copy of each of its containers (same image,
 *    command, TTY, networks, published port) on two networks of the same kind, created
 *    straight on the engine (not timed).
 * 3. Timed, NetLabs: DELETE /classes/:id until every lab is destroyed (read from Postgres
 *    every 25 ms).
 * 4. Timed, the floor: every lab at once (the class teardown's concurrency), per lab one
 *    `docker rm -f <its containers>` (run again on what is left when the engine says it
 *    could not kill one, counted) then one `docker network rm <its networks>`.
 *
 * Whichever goes first removes its objects while the other's are still on the engine
 * (twice the containers, interfaces and iptables rules), so rounds alternate: odd rounds
 * NetLabs first, even rounds the floor first, each round on a class and copies of its own. Prints per round the time to the last lab (the class is gone) and per-lab
 * completion times, and their ratios; then the ratio over all rounds (sums of class-gone
 * times). `npm run bench -- --only teardown [--teardown-labs N] [--teardown-rounds R]`
 * (default 2: one of each order).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Pool } from 'pg';
import type { TestStack } from '../support/stack';
import { FloorSubnets } from './bench-pools';
import { runStep } from './run-step';
import { percentile, summary } from './stats';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` on every item, `limit` at a time. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

interface FloorLab {
  containers: string[];
  networks: string[];
}

type Order = 'NetLabs first' | 'floor first';

interface RoundResult {
  order: Order;
  /** Per lab, ms from the start of its side's removal to the lab gone. */
  apiTimes: number[];
  cliTimes: number[];
}

/** Rounds of a class torn down beside the CLI floor, alternating which goes first; prints each round and the whole. */
export async function benchTeardown(stack: TestStack, labs: number, rounds = 2, steps = ['2c', '3b', '3c']): Promise<void> {
  const results: RoundResult[] = [];
  for (let round = 0; round < rounds; round++) {
    const order: Order = round % 2 === 0 ? 'NetLabs first' : 'floor first';
    const result = await teardownRound(stack, labs, steps, order, round + 1);
    results.push(result);
    const apiAll = Math.max(...result.apiTimes);
    const cliAll = Math.max(...result.cliTimes);
    console.log(
      `teardown ratio NetLabs/CLI, round ${round + 1} (${order}): class gone ${(apiAll / cliAll).toFixed(2)}x (${apiAll} / ${cliAll} ms), ` +
        `per-lab p50 ${(percentile(result.apiTimes, 50) / percentile(result.cliTimes, 50)).toFixed(2)}x`,
    );
  }
  if (results.length > 1) {
    const total = (key: 'apiTimes' | 'cliTimes') => results.reduce((sum, r) => sum + Math.max(...r[key]), 0);
    const p50s = (key: 'apiTimes' | 'cliTimes') => results.reduce((sum, r) => sum + percentile(r[key], 50), 0);
    console.log(
      `teardown ratio NetLabs/CLI over ${results.length} rounds (${results.map((r) => r.order).join(', ')}): ` +
        `class gone ${(total('apiTimes') / total('cliTimes')).toFixed(2)}x (${total('apiTimes')} / ${total('cliTimes')} ms), ` +
        `per-lab p50 ${(p50s('apiTimes') / p50s('cliTimes')).toFixed(2)}x; goal 1.5x`,
    );
  }
}

/** One round: a class and the floor's copies of its objects set up (not timed), then both removed one after the other in `order`. */
async function teardownRound(stack: TestStack, labs: number, steps: string[], order: Order, round: number): Promise<RoundResult> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  const floor: FloorLab[] = [];
  // Two networks a lab (its bridge and the chat of 3b), copied at once before the floor's timed removal.
  const subnets = await FloorSubnets.open(docker, labs * 2, `the teardown floor (${labs} labs, 2 networks each)`);
  try {
    console.log(`teardown bench, round ${round} (${order}): ${labs} labs, steps ${steps.join(' ')} run on each (setup, not timed)`);
    const created = await stack.request('POST', '/classes', {
      name: `teardown bench ${round}`,
      labDefinitionId: 'docker-network',
      runPolicy: 'always',
      students: Array.from({ length: labs }, (_, i) => ({ externalId: `td-${round}-${i}` })),
    });
    if (created.status !== 201) throw new Error(`POST /classes: ${created.status} ${JSON.stringify(created.body)}`);
    const classId = created.body.id as string;
    const labIds = (created.body.labs as { id: string }[]).map((l) => l.id);
    await stack.waitForLabs(classId, (s) => s !== 'provisioning', 900_000);
    const setupStart = Date.now();
    await eachLimit(labIds, 10, async (labId) => {
      for (const step of steps) {
        const result = await runStep(stack, labId, step);
        if (!result.succeeded) throw new Error(`run ${step} on ${labId}: ${JSON.stringify(result).slice(0, 400)}`);
      }
    });
    console.log(`  steps ran on ${labs} labs in ${Math.round((Date.now() - setupStart) / 1000)} s`);

    // The floor's copies of every lab's objects (not timed).
    let objects = { containers: 0, networks: 0 };
    let bridges = 0;
    floor.push(...labIds.map(() => ({ containers: [], networks: [] })));
    await eachLimit(labIds, 12, async (labId, i) => {
      const containers = await docker.listContainers({ all: true, filters: { label: [`netlabs.lab=${labId}`] } });
      const networks = await docker.listNetworks({ filters: { label: [`netlabs.lab=${labId}`] } });
      objects = { containers: objects.containers + containers.length, networks: objects.networks + networks.length };
      const copy = floor[i];
      const netCopy = new Map<string, string>();
      for (const n of networks) {
        const name = `nlbench-${stack.runId}-${round}-${i}-${n.Labels?.['netlabs.name'] ?? n.Id.slice(0, 6)}`;
        // Subnets out of BENCH_FLOOR_POOL, away from every pool NetLabs or the tests use.
        await subnets.create(({ subnet, gateway }) =>
          docker.createNetwork({
            Name: name,
            Driver: 'bridge',
            IPAM: { Config: [{ Subnet: subnet, Gateway: gateway }] },
            Options: { 'com.docker.network.bridge.name': `nlbt${stack.runId.slice(0, 4)}${bridges++}` },
            Labels: { 'netlabs.test': stack.runId },
          }),
        );
        netCopy.set(n.Name, name);
        copy.networks.push(name);
      }
      for (const c of containers) {
        const info = await docker.getContainer(c.Id).inspect();
        const mode = info.HostConfig.NetworkMode ?? '';
        const attached = Object.entries(info.NetworkSettings.Networks ?? {});
        const first = mode.startsWith('container:') ? undefined : attached[0];
        const aliases = (n: { Aliases?: string[] | null }) => (n.Aliases ?? []).filter((a) => !info.Id.startsWith(a));
        const name = `nlbench-${stack.runId}-${round}-${i}-${(info.Name ?? '').split('-').slice(2).join('-') || c.Id.slice(0, 6)}`;
        const ports = info.HostConfig.PortBindings ?? {};
        const container = await docker.createContainer({
          name,
          Image: info.Config.Image,
          Cmd: info.Config.Cmd ?? undefined,
          Entrypoint: info.Config.Entrypoint ?? undefined,
          Env: info.Config.Env ?? undefined,
          Tty: info.Config.Tty,
          OpenStdin: info.Config.OpenStdin,
          Labels: { 'netlabs.test': stack.runId },
          HostConfig: {
            NetworkMode: first ? netCopy.get(first[0]) : 'none',
            Memory: info.HostConfig.Memory,
            NanoCpus: info.HostConfig.NanoCpus,
            PidsLimit: info.HostConfig.PidsLimit,
            // Same kind of published port, on a port the kernel picks.
            PortBindings: Object.fromEntries(Object.keys(ports).map((p) => [p, [{ HostIp: '127.0.0.1', HostPort: '' }]])),
          },
          NetworkingConfig: first ? { EndpointsConfig: { [netCopy.get(first[0])!]: { Aliases: aliases(first[1]) } } } : undefined,
        });
        for (const [other, endpoint] of attached.slice(1)) {
          const target = netCopy.get(other);
          if (target) await docker.getNetwork(target).connect({ Container: container.id, EndpointConfig: { Aliases: aliases(endpoint) } });
        }
        await container.start();
        copy.containers.push(container.id);
      }
    });
    console.log(`  ${labs} labs hold ${objects.containers} containers and ${objects.networks} networks; the floor has as many`);

    // NetLabs: DELETE /classes -> every lab destroyed.
    const timeNetLabs = async (): Promise<number[]> => {
      const destroyedAt = new Map<string, number>();
      const t0 = Date.now();
      const deleted = await stack.request('DELETE', `/classes/${classId}`);
      if (deleted.status !== 202) throw new Error(`DELETE /classes: ${deleted.status}`);
      while (destroyedAt.size < labs) {
        if (Date.now() - t0 > 600_000) throw new Error('labs not destroyed after 10 min');
        const { rows } = await db.query(`select id::text, status, leaked from "Lab" where "classId" = $1`, [classId]);
        for (const row of rows) {
          if (row.status === 'destroyed' && !destroyedAt.has(row.id)) {
            destroyedAt.set(row.id, Date.now() - t0);
            if (row.leaked) console.log(`  lab ${row.id} leaked: ${row.leaked}`);
          }
        }
        await sleep(25);
      }
      const leftovers = await docker.listContainers({ all: true, filters: { label: [`netlabs.class=${classId}`] } });
      if (leftovers.length) throw new Error(`${leftovers.length} containers of the class left after teardown`);
      console.log(summary(`teardown of ${labs} labs, DELETE /classes (NetLabs)`, [...destroyedAt.values()]));
      return [...destroyedAt.values()];
    };

    // The floor: the CLI, every lab at once.
    const timeFloor = async (): Promise<number[]> => {
      const cliTimes: number[] = [];
      const refused: string[] = [];
      const killFailures: string[] = [];
      // Engine 20.10 under this load sometimes answers `rm -f` with "tried to kill container, but
      // did not receive an exit event": as someone at the CLI would, run it again on what is left.
      const removeContainers = async (ids: string[]): Promise<void> => {
        for (let attempt = 1; ; attempt++) {
          try {
            await run('docker', ['rm', '-f', ...ids]);
            return;
          } catch (error) {
            const left = (await docker.listContainers({ all: true, filters: { id: ids } })).map((c) => c.Id);
            if (!left.length) return;
            if (attempt >= 3) throw error;
            killFailures.push(String((error as { stderr?: string }).stderr ?? error).trim());
            ids = left;
          }
        }
      };
      const f0 = Date.now();
      await Promise.all(floor.map(async (lab) => {
        if (lab.containers.length) await removeContainers(lab.containers);
        // The engine's "active endpoints" refusal hits the CLI as well: counted, not fatal.
        if (lab.networks.length) await run('docker', ['network', 'rm', ...lab.networks]).catch((error: { stderr?: string }) => void refused.push(String(error.stderr ?? error).trim()));
        cliTimes.push(Date.now() - f0);
      }));
      floor.length = 0;
      if (refused.length) console.log(`  the CLI floor had ${refused.length} network removals refused by the engine: ${refused[0]}`);
      if (killFailures.length) console.log(`  the CLI floor ran docker rm -f again ${killFailures.length} times: ${killFailures[0]}`);
      console.log(summary(`same objects, docker rm -f + network rm (CLI)`, cliTimes));
      return cliTimes;
    };

    if (order === 'NetLabs first') {
      const apiTimes = await timeNetLabs();
      return { order, apiTimes, cliTimes: await timeFloor() };
    }
    const cliTimes = await timeFloor();
    return { order, apiTimes: await timeNetLabs(), cliTimes };
  } finally {
    // Whatever failed, the floor's copies go (the stack's sweep takes the rest).
    await Promise.all(floor.map((lab) => run('docker', ['rm', '-f', ...lab.containers]).catch(() => undefined)));
    await Promise.all(floor.map((lab) => run('docker', ['network', 'rm', ...lab.networks]).catch(() => undefined)));
    await db.end();
  }
}
