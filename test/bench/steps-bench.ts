/**
 * Steps 1a-3c beside the TP's own CLI commands (issue 12: "steps 1a-3c within 1.1x the TP's
 * CLI commands"): `npm run bench -- --only steps [--steps-rounds 3]`, on a stack of its own.
 *
 * Each round takes a fresh lab and a fresh floor, and for each step 1a..3c in order times
 * - NetLabs: POST /labs/:id/steps/<step>/run as the admin (the step's reference solution,
 *   run by the worker on the engine) until its answer (STEP_WAIT_MS is 10 minutes here,
 *   so the answer is the run's own, never a 202 polled for);
 * - the floor: the TP's commands for that step with the plain docker CLI straight on the
 *   engine socket, making the same objects: names prefixed, on networks of the floor's own
 *   (a bridge network standing for the lab's, created untimed at the round's start, and
 *   `chat` on a /24 of BENCH_FLOOR_POOL), each wait (httpd answering, the chat server's
 *   port open) retried every 100 ms. Two differences, both NetLabs' own way: `docker build
 *   -t mypython2` is an image inspect of the chat image NetLabs built (built once per host,
 *   skipped when there), and the TP's interactive `run -it` / `exec -it` are detached.
 * Sides alternate who goes first from round to round; one untimed round first (the
 * worker's first jobs, the chat image built once). Printed: each step's p50 beside its
 * floor's, then 1a-3c whole per round, with the ratio of the p50s (goal <= 1.1x).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { TCP_PROBE_SCRIPT, tcpProbeOutcome } from '../../libs/labs/chat-probe';
import { clientRangeOf } from '../../libs/labs/lab-templates';
import { freePort, TestStack } from '../support/stack';
import { FloorSubnets, requireLabRoom } from './bench-pools';
import { runStep } from './run-step';
import { percentile, summary } from './stats';

const run = promisify(execFile);
const STEPS = ['1a', '1b', '1c', '2a', '2b', '2c', '3a', '3b', '3c'] as const;
type Step = (typeof STEPS)[number];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchSteps(rounds = 3): Promise<void> {
  requireLabRoom(rounds + 1, 'the steps scenario');
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  // Two networks a round (the floor's bridge and chat), removed at its end.
  const subnets = await FloorSubnets.open(docker, 2, 'the steps floor');
  const stack = new TestStack({ STEP_WAIT_MS: '600000' });
  await stack.start();
  try {
    console.log(`Steps 1a-3c, one lab at a time, ${rounds} rounds after an untimed one: NetLabs' run of each solution beside the TP's CLI commands`);
    const created = await stack.createClassAndWait(Array.from({ length: rounds + 1 }, (_, i) => `steps-${i}`), 'steps bench');
    const api = new Map<Step, number[]>(STEPS.map((s) => [s, []]));
    const cli = new Map<Step, number[]>(STEPS.map((s) => [s, []]));
    const totals = { api: [] as number[], cli: [] as number[] };
    let chatImage = '';
    for (let round = 0; round <= rounds; round++) {
      const labId = created.labs[round].id;
      const floor = await FloorRound.create(stack.runId, round, subnets);
      try {
        let apiTotal = 0;
        let cliTotal = 0;
        for (const step of STEPS) {
          const sides = [
            async () => {
              const ms = await timed(async () => {
                const result = await runStep(stack, labId, step);
                if (!result.succeeded) throw new Error(`run ${step} on ${labId}: ${JSON.stringify(result).slice(0, 400)}`);
              });
              apiTotal += ms;
              if (round > 0) api.get(step)!.push(ms);
              if (step === '3c' && !chatImage) chatImage = await imageOf(docker, labId, 'chat_serveur');
            },
            async () => {
              // The floor's 3c needs the chat image NetLabs built: NetLabs first at 3c in the untimed round.
              const ms = await timed(() => floor.step(step, chatImage));
              cliTotal += ms;
              if (round > 0) cli.get(step)!.push(ms);
            },
          ];
          if (round % 2) sides.reverse();
          for (const side of sides) await side();
        }
        if (round > 0) {
          totals.api.push(apiTotal);
          totals.cli.push(cliTotal);
        }
      } finally {
        await floor.remove();
      }
    }

    const p50 = (values: number[]) => Math.round(percentile(values, 50));
    for (const step of STEPS) {
      const [a, c] = [api.get(step)!, cli.get(step)!];
      console.log(`  ${step}  NetLabs p50 ${String(p50(a)).padStart(6)} ms   CLI p50 ${String(p50(c)).padStart(6)} ms   ${(percentile(a, 50) / percentile(c, 50)).toFixed(2)}x`);
    }
    console.log(summary('steps 1a-3c, NetLabs (POST .../run, each step)', totals.api));
    console.log(summary("steps 1a-3c, the TP's CLI commands", totals.cli));
    console.log(`steps 1a-3c / the TP's CLI: p50 ${(percentile(totals.api, 50) / percentile(totals.cli, 50)).toFixed(2)}x (goal <= 1.1x); each round: ${totals.api.map(Math.round).join(', ')} vs ${totals.cli.map(Math.round).join(', ')} ms`);
    await stack.request('DELETE', `/classes/${created.id}`);
    await stack.waitForLabs(created.id, (s) => s === 'destroyed', 300_000);
  } finally {
    await stack.stop();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** The image a lab's container runs (the chat image's reference on this host, with its digest tag). */
async function imageOf(docker: Docker, labId: string, name: string): Promise<string> {
  const found = await docker.listContainers({ all: true, filters: { label: [`netlabs.lab=${labId}`, `netlabs.name=${name}`] } });
  if (found.length !== 1) throw new Error(`lab ${labId}: ${found.length} containers named ${name}`);
  return found[0].Image;
}

/** `docker <args>` on the engine socket; its stdout. */
async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' }, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Retries `attempt` every 100 ms until it says true, at most `ms`. */
async function until(what: string, attempt: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await attempt().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`floor: ${what} not within ${ms / 1000} s`);
    await sleep(100);
  }
}

/** One round of the floor: the TP's commands in a namespace of its own (names prefixed, networks of its own). */
class FloorRound {
  private constructor(
    private readonly prefix: string,
    private readonly label: string,
    private readonly bridge: string,
    private readonly port: number,
    private readonly subnets: FloorSubnets,
    private readonly chatBridge: string,
  ) {}

  static async create(runId: string, round: number, subnets: FloorSubnets): Promise<FloorRound> {
    const prefix = `nlsteps-${runId}-${round}`;
    const label = `netlabs.test=${runId}`;
    // The lab's bridge network: made before the round, as NetLabs makes it when provisioning.
    const bridge = `${prefix}-bridge`;
    await subnets.create(({ subnet, gateway }) =>
      docker('network', 'create', '--subnet', subnet, '--gateway', gateway, '-o', `com.docker.network.bridge.name=nlbs${runId.slice(0, 4)}${round}`, '--label', label, bridge),
    );
    return new FloorRound(prefix, label, bridge, await freePort(), subnets, `nlbc${runId.slice(0, 4)}${round}`);
  }

  private name(tp: string): string {
    return `${this.prefix}-${tp}`;
  }

  /** `docker run -d...` of the TP with the floor's name, label and network. */
  private runContainer(tp: string, options: string[], image: string, cmd: string[] = []): Promise<string> {
    return docker('run', '-d', '--name', this.name(tp), '--label', this.label, ...options, image, ...cmd);
  }

  private async fetchFrom(container: string, url: string): Promise<void> {
    await until(`GET ${url} from ${container}`, async () => /It works!/.test(await docker('exec', this.name(container), 'curl', '-s', '-m', '5', url)));
  }

  async step(step: Step, chatImage: string): Promise<void> {
    const httpd = process.env.LAB_IMAGE_HTTPD!;
    const ubuntu = process.env.LAB_IMAGE_UBUNTU!;
    const published = ['-p', `127.0.0.1:${this.port}:80`];
    switch (step) {
      case '1a':
        await docker('network', 'ls');
        return;
      case '1b':
      case '1c':
        await docker('network', 'inspect', this.bridge);
        return;
      case '2a':
        await this.runContainer('mon-serveur', ['--net', this.bridge, ...published], httpd);
        await until('httpd on the published port', async () => /It works!/.test(await (await fetch(`http://127.0.0.1:${this.port}/`, { signal: AbortSignal.timeout(5000) })).text()));
        return;
      case '2b':
        await docker('ps', '--filter', `name=${this.name('mon-serveur')}`);
        await this.runContainer('container2', ['-it', '--net', `container:${this.name('mon-serveur')}`], ubuntu);
        await docker('exec', this.name('container2'), 'sh', '-c', 'command -v netstat >/dev/null || (apt-get update && apt-get install -y net-tools)');
        await docker('exec', this.name('container2'), 'netstat', '-ltn');
        return;
      case '2c': {
        // `docker rm -f $(docker ps -aq)`: this round's containers so far.
        const all = (await docker('ps', '-aq', '--filter', `name=${this.prefix}-`)).split('\n').filter(Boolean);
        if (all.length) await docker('rm', '-f', ...all);
        await this.runContainer('mon-serveur', ['--net', this.bridge, ...published], httpd);
        const ip = (await docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', this.name('mon-serveur'))).trim();
        await this.runContainer('container1', ['-it', '--net', this.bridge], ubuntu);
        await docker('exec', this.name('container1'), 'sh', '-c', 'command -v curl >/dev/null || (apt-get update && apt-get install -y curl)');
        await this.fetchFrom('container1', `http://${ip}/`);
        await this.runContainer('container2', ['-it', '--net', this.bridge, '--link', `${this.name('mon-serveur')}:serveur`], ubuntu);
        await docker('exec', this.name('container2'), 'sh', '-c', 'command -v curl >/dev/null || (apt-get update && apt-get install -y curl)');
        await this.fetchFrom('container2', 'http://serveur/');
        return;
      }
      case '3a':
        await docker('network', 'create', '--help');
        return;
      case '3b':
        await this.subnets.create(({ subnet, gateway }) =>
          docker('network', 'create', '--subnet', subnet, '--gateway', gateway, '--ip-range', clientRangeOf(subnet), '-o', `com.docker.network.bridge.name=${this.chatBridge}`, '--label', this.label, this.name('chat')),
        );
        await docker('network', 'inspect', this.name('chat'));
        return;
      case '3c': {
        if (!chatImage) throw new Error('floor: no chat image yet (NetLabs builds it at its first 3c)');
        const chat = ['--net', this.name('chat')];
        await docker('network', 'inspect', this.name('chat'));
        await docker('image', 'inspect', chatImage);
        await this.runContainer('chat_serveur', [...chat, '--network-alias', 'chat_serveur'], chatImage, ['python3', '/home/chat/serveur.py']);
        await docker('inspect', this.name('chat_serveur'));
        for (const client of ['client1', 'client2', 'client3']) await this.runContainer(client, ['-it', ...chat], chatImage);
        await until('chat_serveur:5000 open from client1', async () => {
          const said = await docker('exec', this.name('client1'), 'python3', '-c', TCP_PROBE_SCRIPT, 'chat_serveur', '5000', '1');
          return tcpProbeOutcome(0, said)?.kind === 'open';
        });
        return;
      }
    }
  }

  /** Everything of the round (untimed). */
  async remove(): Promise<void> {
    const all = (await docker('ps', '-aq', '--filter', `name=${this.prefix}-`).catch(() => '')).split('\n').filter(Boolean);
    if (all.length) await docker('rm', '-f', ...all).catch(() => undefined);
    for (const network of [this.name('chat'), this.bridge]) await docker('network', 'rm', network).catch(() => undefined);
  }
}
