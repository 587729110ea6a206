import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_CLIENT_PATH, chatDriverCommand, clientLines, driverStatus, tcpProbeCommand, tcpProbeOutcome } from '../libs/labs/chat-probe';
import { dockerExec } from './support/docker-cli';
import { TestStack } from './support/stack';
import { waitFor } from './support/wait-for';

/**
 * Step 3c (the chat) on the real stack, two labs at once: the worker builds mypython2 on
 * the engine, starts chat_serveur and three clients on each lab's own `chat` network, and
 * verify drives real chat clients through the real server.
 *
 * The image gets a tag of this run (LAB_IMAGE_CHAT_TAG), so the build really happens and
 * is timed here, and it is removed afterwards; a deployment keeps its one mypython2 per
 * host as a cache, like the base images.
 */

type Lab = { id: string; token: string; values: Record<string, any> };
type Check = { name: string; passed: boolean; message: string };

const IMAGE_RUN = randomBytes(4).toString('hex');
const IMAGE_TAG = `netlabs-test/mypython2:${IMAGE_RUN}`;

function docker(...args: string[]): string {
  return execFileSync('docker', args, { timeout: 60_000 }).toString().trim();
}

/** The engine name of a lab's container from its TP name (the layer names it <prefix>-<name>). */
function containerOf(lab: Lab, tpName: string): string {
  const names = docker('ps', '-a', '--filter', `label=netlabs.lab=${lab.id}`, '--filter', `label=netlabs.name=${tpName}`, '--format', '{{.Names}}').split('\n').filter(Boolean);
  if (names.length !== 1) throw new Error(`expected one container ${tpName} in lab ${lab.id}, found ${names.length}`);
  return names[0];
}

function chatAddress(lab: Lab, tpName: string): string {
  const info = JSON.parse(docker('inspect', containerOf(lab, tpName)))[0];
  const chat = Object.entries<any>(info.NetworkSettings.Networks).find(([, n]) => n.Aliases?.includes(tpName) && n.IPAddress.startsWith(lab.values.chatSubnet.split('.').slice(0, 3).join('.')));
  if (!chat) throw new Error(`${tpName} of lab ${lab.id} has no address on its chat network`);
  return chat[1].IPAddress;
}

describe('step 3c: the chat, on the real stack, two labs at once', () => {
  const stack = new TestStack({ STEP_WAIT_MS: '120000', LAB_IMAGE_CHAT_TAG: IMAGE_TAG });
  let labs: Lab[];

  // In English: the class is French by default, and this file checks the English messages word for word.
  const verify = (lab: Lab) => stack.request('POST', `/labs/${lab.id}/steps/3c/verify?lang=en`, {}, lab.token);
  const runStep = (lab: Lab, step: string) => stack.request('POST', `/labs/${lab.id}/steps/${step}/run`, {}, lab.token);
  const failures = (checks: Check[]) => checks.filter((c) => !c.passed).map((c) => c.message);
  const verifyPasses = (lab: Lab, what: string) =>
    waitFor(what, async () => {
      const result = await verify(lab);
      return result.status === 200 && result.body.passed === true ? result.body : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1_000 });

  beforeAll(async () => {
    await stack.start();
    const created = await stack.createClassAndWait(['ana', 'ben'], 'chat e2e');
    labs = await Promise.all(
      created.labs.map(async (lab) => ({ id: lab.id, token: lab.token, values: (await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).body.values })),
    );
    expect(labs.map((l) => l.values.chatSubnet)).toHaveLength(2);
  });

  afterAll(async () => {
    await stack.stop();
    // The run's own image (every digest of it); a deployment's mypython2 stays as a cache.
    const images = docker('image', 'ls', '-q', '--filter', `reference=netlabs-test/mypython2:${IMAGE_RUN}*`).split('\n').filter(Boolean);
    if (images.length) execFileSync('docker', ['image', 'rm', '-f', ...new Set(images)], { stdio: 'ignore', timeout: 60_000 });
  });

  it('refuses to run 3c before 3b, telling the student to do 3b first', async () => {
    const [, b] = labs;
    const early = await runStep(b, '3c');
    expect(early.status).toBe(200);
    expect(early.body.succeeded).toBe(false);
    expect(early.body.error).toBe('step 3c: network chat does not exist — do step 3b first (create the chat network), then run 3c again');
    // Nothing but the lab's console.
    expect(docker('ps', '-a', '--filter', `label=netlabs.lab=${b.id}`, '--format', '{{.Label "netlabs.name"}}')).toBe('-console');
  });

  it('before 3c is run, verify says how to start each of the four containers', async () => {
    const results = await Promise.all(labs.map((lab) => runStep(lab, '3b')));
    for (const r of results) expect(r.body.succeeded, `${r.status} ${r.body.error ?? ''}\n${r.body.output ?? ''}`).toBe(true);
    const before = await verify(labs[0]);
    expect(before.status).toBe(200);
    expect(before.body.passed).toBe(false);
    expect(failures(before.body.checks)).toEqual([
      'server chat_serveur: not found — start it with docker run -d --name chat_serveur --net chat mypython2 python3 /home/chat/serveur.py',
      'client client1: not found — start it with docker run -dit --name client1 --net chat mypython2',
      'client client2: not found — start it with docker run -dit --name client2 --net chat mypython2',
      'client client3: not found — start it with docker run -dit --name client3 --net chat mypython2',
      'skipped: container chat_serveur not found (start it first)',
      'skipped: container chat_serveur not found (start it first)',
    ]);
  });

  it('run builds mypython2 once for both labs and starts the chat; verify passes in both', async () => {
    expect(docker('image', 'ls', '-q', '--filter', `reference=${IMAGE_TAG}*`)).toBe('');
    const started = Date.now();
    const results = await Promise.all(labs.map((lab) => runStep(lab, '3c')));
    const builtIn = Date.now() - started;
    console.log(`3c run for 2 labs, building ${IMAGE_TAG}-*: ${builtIn} ms`);
    // Well inside STEP_WAIT_MS: the API answered with the output, not a 202.
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body, r.body.output).toMatchObject({ step: '3c', succeeded: true });
      expect(r.body.output).toContain(`$ docker build -t mypython2 --build-arg BASE_IMAGE=${process.env.LAB_IMAGE_UBUNTU ?? 'ubuntu:24.04'} ./chat\n`);
      expect(r.body.output).toContain('# chat_serveur:5000 accepts connections (checked from client1)');
    }
    // One image for the host, whatever the number of labs that asked at once.
    const images = docker('image', 'ls', '--filter', `reference=${IMAGE_TAG}*`, '--format', '{{.Repository}}:{{.Tag}}').split('\n').filter(Boolean);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatch(new RegExp(`^${IMAGE_TAG}-[0-9a-f]{10}$`));

    for (const lab of labs) {
      const info = JSON.parse(docker('inspect', containerOf(lab, 'client1')))[0];
      expect(info.Config).toMatchObject({ Image: images[0], Tty: true, OpenStdin: true });
      const server = JSON.parse(docker('inspect', containerOf(lab, 'chat_serveur')))[0];
      expect(server.Config.Cmd).toEqual(['python3', '/home/chat/serveur.py']);
    }
    const started2 = Date.now();
    const verified = await Promise.all(labs.map(verify));
    console.log(`3c verify of 2 labs at once: ${Date.now() - started2} ms`);
    for (const [i, v] of verified.entries()) {
      expect(v.status).toBe(200);
      expect(failures(v.body.checks)).toEqual([]);
      expect(v.body.checks[5].message).toBe('a line typed in client1 reached client2 and client3 through chat_serveur:5000');
      // The addresses come from the lab's own chat ip-range.
      expect(v.body.checks[1].message).toMatch(new RegExp(`inside the ip-range ${labs[i].values.chatSubnet.replace(/\.0\/24$/, '').replace(/\./g, '\\.')}\\.16/28`));
    }
  });

  it('with client2 stopped, verify fails naming client2; started again, it passes', async () => {
    const [a, b] = labs;
    docker('stop', '-t', '1', containerOf(a, 'client2'));
    const stopped = await verify(a);
    expect(stopped.body.passed).toBe(false);
    expect(failures(stopped.body.checks)).toEqual([
      expect.stringMatching(/^client client2: not running \(exited \(code \d+\)\) — start it with docker start client2$/),
      expect.stringMatching(/^skipped: container client2 is exited \(code \d+\), not running$/),
    ]);
    // The other lab is not affected.
    expect((await verify(b)).body.passed).toBe(true);
    docker('start', containerOf(a, 'client2'));
    await verifyPasses(a, 'lab A to pass again with client2 started');
  });

  it('with chat_serveur stopped, verify fails saying the server is not reachable; started again, it passes', async () => {
    const [a] = labs;
    docker('stop', '-t', '5', containerOf(a, 'chat_serveur'));
    const stopped = await verify(a);
    expect(stopped.body.passed).toBe(false);
    const messages = failures(stopped.body.checks);
    expect(messages).toContain(
      'chat_serveur: the chat server is not reachable on chat_serveur:5000 (container chat_serveur is exited (code 0) — start it with docker start chat_serveur)',
    );
    expect(messages[0]).toBe('server chat_serveur: not running (exited (code 0)) — start it with docker start chat_serveur');
    docker('start', containerOf(a, 'chat_serveur'));
    await verifyPasses(a, 'lab A to pass again with chat_serveur started');
  });

  it("lab A's chat never gets lines from lab B, and A's clients cannot reach B's server", async () => {
    const [a, b] = labs;
    // By name, chat_serveur is each lab's own server.
    const resolved = await dockerExec(containerOf(a, 'client1'), ['python3', '-c', 'import socket; print(socket.gethostbyname("chat_serveur"))'], 10_000);
    expect(resolved.stdout.trim()).toBe(chatAddress(a, 'chat_serveur'));
    // By address, B's server is out of reach from A (Docker isolates bridges from each other).
    const probe = await dockerExec(containerOf(a, 'client1'), tcpProbeCommand(chatAddress(b, 'chat_serveur'), 5000, 2_000), 10_000);
    expect(tcpProbeOutcome(probe.code, probe.stdout)?.kind).not.toBe('open');

    // A's client listens on A's server while B's client1 sends on B's server, and tries A's server by address.
    const token = `cross-${randomBytes(4).toString('hex')}`;
    const drive = (lab: Lab, container: string, role: 'send' | 'recv', host: string, limitMs: number) =>
      dockerExec(
        containerOf(lab, container),
        chatDriverCommand({ role, clientPath: CHAT_CLIENT_PATH, host, port: 5000, nick: `${role}-${lab === a ? 'a' : 'b'}`, token, sender: 'send-b', wanted: [], limitMs }),
        limitMs + 10_000,
      );
    const [listener, sentOwn, sentToA] = await Promise.all([
      drive(a, 'client2', 'recv', 'chat_serveur', 6_000),
      drive(b, 'client1', 'send', 'chat_serveur', 3_000),
      drive(b, 'client3', 'send', chatAddress(a, 'chat_serveur'), 3_000),
    ]);
    expect(driverStatus(sentOwn.stdout)).toBe('sent'); // B's chat works
    // B cannot even connect to A's server (the connection attempt is dropped, so it never says "connected").
    expect(sentToA.code).not.toBe(0);
    expect(clientLines(sentToA.stdout).filter((l) => l.startsWith('connected to'))).toEqual([]);
    expect(driverStatus(listener.stdout)).toBe('timeout');
    expect(clientLines(listener.stdout).join('\n')).not.toContain(token);
  });
});
