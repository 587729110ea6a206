/**
 * Cold provisioning beside its floor (issue 12): `npm run bench -- --only provision`.
 *
 * - One lab: POST /classes with one student until the class's event stream (GET
 *   /classes/:id/events, as a dashboard follows it) settles with the lab ready, beside the
 *   floor: the same objects straight through dockerode (the lab's bridge network and its
 *   console container, created from the very options NetLabs sends: networkCreateOptions,
 *   consoleCreateOptions), create + start, nothing else. Interleaved, `runs` times each,
 *   after one untimed round of each. (Until 2026-11-29 the bench polled GET /classes/:id
 *   every 10 ms: each GET cost the API about 8 ms of CPU, taken from the worker and the
 *   engine on a 2-core machine, and told of the lab up to a poll late.)
 * - A class of `classSize`: POST /classes until every lab is ready (the same stream), beside the floor for
 *   as many labs at PROVISION_CONCURRENCY at once (the worker's concurrency). Interleaved,
 *   `classRuns` times each.
 *
 * Each figure is printed beside its floor from the same run, with the ratio of the p50s.
 * Teardown between rounds is not timed.
 */
import Docker from 'dockerode';
import { consoleSpec } from '../../apps/worker/provisioning/lab-console.service';
import { bridgeInterfaceName } from '../../libs/allocation/lab-resources';
import { loadConfig } from '../../libs/config/app-config';
import { consoleCreateOptions, networkCreateOptions } from '../../libs/docker/docker-specs';
import { DEFAULT_NETWORK, type LabScope } from '../../libs/docker/tenant-docker';
import type { LabValues } from '../../libs/labs/lab-values';
import { readEvents } from '../support/sse';
import type { TestStack } from '../support/stack';
import { FloorSubnets } from './bench-pools';
import { percentile, summary } from './stats';

export interface ProvisionBenchOptions {
  /** Single-lab rounds of each (default 5). */
  runs?: number;
  /** Students in the class (default 30). */
  classSize?: number;
  /** Class rounds of each (default 2). */
  classRuns?: number;
  /** The stack's lab daemon socket (GATEWAY_SOCKET): the console mounts its directory. */
  gatewaySocket: string;
}


export async function benchProvision(stack: TestStack, options: ProvisionBenchOptions): Promise<void> {
  const runs = options.runs ?? 5;
  const classSize = options.classSize ?? 30;
  const classRuns = options.classRuns ?? 2;
  const concurrency = Number(process.env.PROVISION_CONCURRENCY ?? 8);
  const floor = await Floor.create(stack, options.gatewaySocket, classSize);
  const one = { api: [] as number[], floor: [] as number[] };
  const many = { api: [] as number[], floor: [] as number[] };
  try {
    // Untimed: the worker's first job opens its connections and checks the images once.
    await coldClass(stack, 1);
    await floor.labs(1, 1);
    for (let i = 0; i < runs; i++) {
      const pair = [async () => one.api.push(await coldClass(stack, 1)), async () => one.floor.push(await floor.labs(1, 1))];
      if (i % 2) pair.reverse();
      for (const step of pair) await step();
    }
    for (let i = 0; i < classRuns; i++) {
      const pair = [async () => many.api.push(await coldClass(stack, classSize)), async () => many.floor.push(await floor.labs(classSize, concurrency))];
      if (i % 2) pair.reverse();
      for (const step of pair) await step();
    }
  } finally {
    await floor.dispose();
  }
  const ratio = (a: number[], b: number[]) => (percentile(a, 50) / percentile(b, 50)).toFixed(2);
  console.log(`\nCold provisioning (PROVISION_CONCURRENCY=${concurrency}), interleaved with its dockerode floor:`);
  console.log(summary('one lab: POST /classes -> ready', one.api));
  console.log(summary('one lab: floor (network + console, dockerode)', one.floor));
  console.log(`  ratio p50 ${ratio(one.api, one.floor)}x (goal <= 1.5x); each: ${one.api.map(Math.round).join(', ')} vs ${one.floor.map(Math.round).join(', ')} ms`);
  console.log(summary(`class of ${classSize}: POST /classes -> all ready`, many.api));
  console.log(summary(`class of ${classSize}: floor, ${concurrency} at once`, many.floor));
  console.log(`  ratio p50 ${ratio(many.api, many.floor)}x (goal <= 1.2x); each: ${many.api.map(Math.round).join(', ')} vs ${many.floor.map(Math.round).join(', ')} ms`);
}

/** Creates a class of n students, returns the ms until its last lab is ready; then deletes it (untimed). */
async function coldClass(stack: TestStack, n: number): Promise<number> {
  const started = performance.now();
  const created = await stack.request('POST', '/classes', {
    name: `bench cold ${n}`,
    labDefinitionId: 'docker-network',
    students: Array.from({ length: n }, (_, i) => ({ externalId: `cold-${i}` })),
  });
  if (created.status !== 201) throw new Error(`POST /classes: ${created.status} ${JSON.stringify(created.body)}`);
  // Followed as a dashboard follows it: the class's event stream, which ends once no lab is provisioning.
  const stream = await readEvents(`${stack.apiUrl}/classes/${created.body.id}/events`, stack.adminToken, 600_000);
  const elapsed = performance.now() - started;
  const settled = stream.events.find((e) => e.type === 'settled');
  if (!settled) throw new Error(`class of ${n}: its event stream ended without settling (status ${stream.status}, ${stream.events.length} events)`);
  const failed = stream.events.find((e) => e.type === 'lab' && e.data.status !== 'ready');
  if (failed) throw new Error(`lab ${failed.data.labId} ${failed.data.status}: ${failed.data.reason}`);
  await stack.request('DELETE', `/classes/${created.body.id}`);
  await stack.waitForLabs(created.body.id, (s) => s === 'destroyed', 300_000);
  return elapsed;
}

/** The floor: the same engine requests NetLabs makes for a fresh lab, and nothing else. */
class Floor {
  private next = 0;

  private constructor(
    private readonly docker: Docker,
    private readonly stack: TestStack,
    private readonly config: ReturnType<typeof loadConfig>,
    private readonly subnets: FloorSubnets,
  ) {}

  /** `most`: the labs a round makes at once (their networks are all there at its end). */
  static async create(stack: TestStack, gatewaySocket: string, most: number): Promise<Floor> {
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    // The stack's own settings: same limits, console mount and test label (swept by
    // stack.stop), but a deployment of its own, or the stack's reconciler would remove
    // these objects of no lab it knows.
    const config = loadConfig({
      ...process.env,
      ADMIN_TOKEN: stack.adminToken,
      GATEWAY_SOCKET: gatewaySocket,
      LAB_LABELS: `netlabs.test=${stack.runId}`,
      DEPLOYMENT_ID: `floor-${stack.runId}`,
    });
    // Subnets of their own (BENCH_FLOOR_POOL) that no network on the engine overlaps.
    return new Floor(docker, stack, config, await FloorSubnets.open(docker, most, 'the provisioning floor'));
  }

  /** Provisions n labs' objects, `concurrency` at a time; returns the ms until all are there, then removes them (untimed). */
  async labs(n: number, concurrency: number): Promise<number> {
    const made: { network: string; container?: string }[] = [];
    const started = performance.now();
    let index = 0;
    const one = async () => {
      const i = this.next++;
      const scope: LabScope = {
        labId: `floor-${this.stack.runId}-${i}`,
        classId: `floor-${this.stack.runId}`,
        prefix: `nf-${this.stack.runId.slice(0, 4)}${i.toString(36)}`,
        labels: { ...this.config.LAB_LABELS, 'netlabs.deployment': this.config.DEPLOYMENT_ID },
      };
      const { network, values } = await this.subnets.create(async ({ subnet, gateway }) => {
        const values: LabValues = {
          bridgeSubnet: subnet,
          bridgeGateway: gateway,
          bridgeInterface: `nf${bridgeInterfaceName(subnet).slice(3)}`,
          chatSubnet: subnet,
          chatInterface: 'unused',
          httpdPort: this.config.LAB_PORT_MIN,
          publicHost: this.config.LAB_PUBLIC_HOST,
        };
        const network = await this.docker.createNetwork(
          networkCreateOptions(scope, { name: DEFAULT_NETWORK, subnet, gateway, bridgeName: values.bridgeInterface }),
        );
        return { network, values };
      });
      const entry: { network: string; container?: string } = { network: network.id };
      made.push(entry);
      const limits = {
        memoryMb: this.config.LAB_MEMORY_MB,
        cpus: this.config.LAB_CPUS,
        pids: this.config.LAB_PIDS,
        maxContainers: this.config.LAB_MAX_CONTAINERS,
        diskMb: this.config.LAB_DISK_MB,
        logMb: this.config.LAB_LOG_MB,
        publishAddress: this.config.LAB_PUBLISH_ADDRESS,
      };
      const container = await this.docker.createContainer(consoleCreateOptions(scope, consoleSpec(this.config, scope.labId, values), limits, `${scope.prefix}-${DEFAULT_NETWORK}`));
      entry.container = container.id;
      await container.start();
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
        while (index < n) {
          index++;
          await one();
        }
      }));
      return performance.now() - started;
    } finally {
      await Promise.all(made.map(async (m) => {
        if (m.container) await this.docker.getContainer(m.container).remove({ force: true, v: true }).catch(() => undefined);
        await this.docker.getNetwork(m.network).remove().catch(() => undefined);
      }));
    }
  }

  async dispose(): Promise<void> {
    // Nothing kept between rounds: each round removes what it made.
  }
}
