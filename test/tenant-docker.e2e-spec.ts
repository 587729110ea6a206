/**
 * The tenant Docker layer against the real engine (no mocks). Every object carries
 * netlabs.test=<runId> and afterAll sweeps them, also when a test fails.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerHostPool } from '../libs/docker/docker-host-pool';
import { DockerodeTenantDocker } from '../libs/docker/dockerode-tenant-docker';
import { LAB_CAPABILITIES } from '../libs/docker/lab-hardening';
import { CONSOLE, DockerLayerError, LABEL_CLASS, LABEL_LAB, LABEL_NAME, type LabScope, type TenantDocker } from '../libs/docker/tenant-docker';
import { removeTestObjects, TEST_LABEL } from './support/docker-cleanup';
import { bridgeNames, churnNetworks, freePort, freeSubnets, hostAddress, newRunId, rawDocker, testScope } from './support/docker-fixtures';
import { sleep, waitFor } from './support/wait-for';

const BUSYBOX = process.env.TEST_IMAGE_BUSYBOX ?? 'netlabs-local/busybox:latest';
const UBUNTU = process.env.LAB_IMAGE_UBUNTU ?? 'netlabs-local/ubuntu:24.04';
const CONSOLE_IMAGE = process.env.LAB_IMAGE_CONSOLE ?? 'netlabs-local/console:1';
const ENDPOINT = 'unix:///var/run/docker.sock';
const LIMITS = { memoryMb: 64, cpus: 0.5, pids: 128, maxContainers: 8 };
/** A reference no engine has: pulling it only knocks on a closed port of loopback. */
const MISSING_IMAGE = '127.0.0.1:1/netlabs-missing:none';

const runId = newRunId();
const docker = rawDocker();
const nextBridge = bridgeNames(runId);
const pool = new DockerHostPool([{ id: 'local', endpoint: ENDPOINT }], LIMITS);
const sut = pool.get('local');
const labA = testScope(runId);
const labB = testScope(runId);
let subnets: string[] = [];

/** busybox httpd serving `text` at / on port 80. */
const httpd = (text: string, port = 80) => [
  'sh',
  '-c',
  `busybox mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p ${port} -h /www`,
];
const sleeper = ['sleep', '3600'];

async function expectLayerError(work: Promise<unknown>, kind: DockerLayerError['kind'], message?: RegExp): Promise<DockerLayerError> {
  const err = await work.then(
    () => {
      throw new Error(`expected a DockerLayerError(${kind}), got success`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DockerLayerError);
  expect((err as DockerLayerError).kind).toBe(kind);
  if (message) expect((err as DockerLayerError).message).toMatch(message);
  return err as DockerLayerError;
}

/**
 * wget from inside a lab container. Not `wget -T`: the static busybox of the test image
 * crashes with it (SIGSEGV, exit 139); the exec timeout bounds the wait instead.
 */
const wget = (docker: TenantDocker, scope: LabScope, from: string, url: string) =>
  docker.exec(scope, from, ['wget', '-qO-', url], { timeoutMs: 4_000 });

async function waitHttp(scope: LabScope, from: string, url: string, expected: string): Promise<void> {
  await waitFor(`${url} from ${from}`, async () => (await wget(sut, scope, from, url)).stdout.includes(expected), {
    timeoutMs: 15_000,
    intervalMs: 200,
  });
}

function bridgeSpec(subnet: string, name = 'bridge') {
  return { name, subnet, gateway: hostAddress(subnet, 1), ipRange: subnet.replace(/\.0\/24$/, '.128/25'), bridgeName: nextBridge() };
}

beforeAll(async () => {
  subnets = await freeSubnets(docker, 15);
});

afterAll(async () => {
  await removeTestObjects(runId);
  const left = await sut.listOwned({ key: TEST_LABEL, value: runId });
  expect(left).toEqual([]);
});

describe('DockerodeTenantDocker on the real engine', () => {
  it('creates each lab its networks with subnet, gateway, ip-range, bridge name and labels', async () => {
    const started = Date.now();
    const [a, b] = await Promise.all([sut.createNetwork(labA, bridgeSpec(subnets[0])), sut.createNetwork(labB, bridgeSpec(subnets[1]))]);
    const networksMs = Date.now() - started;
    const server = await sut.runContainer(labA, { name: 'mon-serveur', image: BUSYBOX, cmd: httpd('hello-from-A'), aliases: ['web'] });
    const totalMs = Date.now() - started;
    console.log(`[timing] 2 networks in parallel: ${networksMs} ms; + 1 container: ${totalMs} ms`);

    for (const [scope, net, subnet] of [[labA, a, subnets[0]], [labB, b, subnets[1]]] as const) {
      expect(net).toMatchObject({
        name: 'bridge',
        engineName: `${scope.prefix}-bridge`,
        driver: 'bridge',
        subnet,
        gateway: hostAddress(subnet, 1),
        ipRange: subnet.replace(/\.0\/24$/, '.128/25'),
      });
      const raw = await docker.getNetwork(net.id).inspect();
      expect(raw.Labels).toMatchObject({ [LABEL_LAB]: scope.labId, [LABEL_CLASS]: scope.classId, [LABEL_NAME]: 'bridge', [TEST_LABEL]: runId });
      expect(raw.Options).toMatchObject({
        'com.docker.network.bridge.name': net.bridgeName,
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
      });
      // The Linux bridge really carries the name the lab's instructions will show.
      expect(existsSync(`/sys/class/net/${net.bridgeName}`)).toBe(true);
    }
    expect(server.running).toBe(true);
    // Addresses come from the ip-range, the upper half of the subnet.
    const lastOctet = Number(server.networks[0].ipv4?.replace(hostAddress(subnets[0], 0).replace(/0$/, ''), ''));
    expect(lastOctet).toBeGreaterThanOrEqual(128);
    const listed = await sut.listNetworks(labA);
    expect(listed.map((n) => n.name)).toEqual(['bridge']);
    expect(listed[0].containers).toEqual([{ name: 'mon-serveur', ipv4: server.networks[0].ipv4 }]);
  });

  it("reads labs' network settings at once, each its own: never another lab's network, nor one labelled for a lab under another lab's name", async () => {
    const labX = testScope(runId); // no network of its own
    // Named like lab X's bridge, labelled as lab A's: the bridge of neither.
    const decoy = await docker.createNetwork({
      Name: `${labX.prefix}-bridge`,
      Labels: { [TEST_LABEL]: runId, [LABEL_LAB]: labA.labId, [LABEL_NAME]: 'bridge' },
      IPAM: { Driver: 'default', Config: [{ Subnet: subnets[14] }] },
    });
    try {
      // The first read goes alone (its lab's labels in the filter); the four that come meanwhile
      // share one list of every network named bridge on the engine, and each takes its own.
      const together = await Promise.all([labA, labB, labX, labA, labB].map((scope) => sut.networkSettings(scope, 'bridge')));
      expect(together.map((s) => s?.subnet ?? null)).toEqual([subnets[0], subnets[1], null, subnets[0], subnets[1]]);
      expect(together[3]).toEqual(together[0]);
      expect(together[0]).toMatchObject({ name: 'bridge', engineName: `${labA.prefix}-bridge`, gateway: hostAddress(subnets[0], 1), bridgeName: expect.stringMatching(/^nlbt/) });
      // What the inspect says, less the members.
      const { containers: _members, ...inspected } = (await sut.inspectNetwork(labB, 'bridge'))!;
      expect(together[4]).toEqual(inspected);
      expect(await sut.networkSettings(labX, 'bridge')).toBeNull();
      expect(await sut.networkSettings(labA, '../bridge')).toBeNull();
    } finally {
      await decoy.remove(); // lab A owns nothing more than it made (later cases list it)
    }
  });

  it('createNetwork converges: twice, and twice at once from two processes, give one network, also on a busy engine', async () => {
    const spec = bridgeSpec(subnets[2], 'chat');
    const other = new DockerodeTenantDocker('local', ENDPOINT, LIMITS); // another worker process, in effect
    // Other networks created and removed meanwhile, as a class provisions beside: the engine then
    // lists a network a second or more after it reserved its subnet, and the creator that lost the
    // race (refused with "Pool overlaps") must wait for it rather than report a clash.
    const churn = churnNetworks(docker, runId, subnets.slice(8, 14));
    const [x, y, z] = await (async () => {
      try {
        await sleep(300);
        return await Promise.all([sut.createNetwork(labA, spec), other.createNetwork(labA, spec), sut.createNetwork(labA, spec)]);
      } finally {
        await churn.stop();
      }
    })();
    const again = await sut.createNetwork(labA, spec);
    expect(new Set([x.id, y.id, z.id, again.id]).size).toBe(1);
    const sameName = (await docker.listNetworks({ filters: { name: [`${labA.prefix}-chat`] } })).filter((n) => n.Name === `${labA.prefix}-chat`);
    expect(sameName.map((n) => n.Id)).toEqual([x.id]);
    expect((await sut.inspectNetwork(labA, 'chat'))?.id).toBe(x.id);
    expect(await sut.inspectNetwork(labB, 'chat')).toBeNull();
  });

  it('createNetwork removes duplicates a race left behind, keeping the oldest', async () => {
    const labD = testScope(runId);
    const labels = { [LABEL_LAB]: labD.labId, [LABEL_CLASS]: labD.classId, [LABEL_NAME]: 'bridge', [TEST_LABEL]: runId };
    const make = (subnet: string) =>
      docker.createNetwork({ Name: `${labD.prefix}-bridge`, Driver: 'bridge', Labels: labels, IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] } });
    const oldest = await make(subnets[5]);
    await make(subnets[6]);
    const kept = await sut.createNetwork(labD, bridgeSpec(subnets[5]));
    expect(kept.id).toBe(oldest.id);
    expect((await docker.listNetworks({ filters: { label: [`${LABEL_LAB}=${labD.labId}`] } })).map((n) => n.Id)).toEqual([oldest.id]);
    expect(await sut.removeLab(labD)).toMatchObject({ containers: 0, networks: 1, images: 0, leaked: [] });
  });

  it('runs containers with the lab labels and limits, no privileges and no mounts', async () => {
    const info = await sut.inspectContainer(labA, 'mon-serveur');
    expect(info).toMatchObject({
      name: 'mon-serveur',
      engineName: `${labA.prefix}-mon-serveur`,
      image: BUSYBOX,
      state: 'running',
      networkMode: 'bridge',
      limits: { memoryBytes: 64 * 1024 * 1024, nanoCpus: 0.5e9, pidsLimit: 128, privileged: false },
    });
    expect(info?.networks).toEqual([expect.objectContaining({ name: 'bridge', aliases: ['mon-serveur', 'web'] })]);
    const raw = await docker.getContainer(info!.id).inspect();
    expect(raw.Config.Labels).toMatchObject({ [LABEL_LAB]: labA.labId, [LABEL_CLASS]: labA.classId, [LABEL_NAME]: 'mon-serveur', [TEST_LABEL]: runId });
    expect(raw.HostConfig).toMatchObject({
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      NanoCpus: 0.5e9,
      PidsLimit: 128,
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      Init: true,
      NetworkMode: `${labA.prefix}-bridge`,
      RestartPolicy: expect.objectContaining({ Name: 'unless-stopped' }),
    });
    expect(raw.Mounts).toEqual([]);
    expect(raw.HostConfig.Binds ?? []).toEqual([]);
  });

  it('resolves TP names and extra aliases inside the lab, and --link aliases', async () => {
    await sut.runContainer(labA, { name: 'client', image: BUSYBOX, cmd: sleeper });
    await waitHttp(labA, 'client', 'http://mon-serveur/', 'hello-from-A');
    expect((await wget(sut, labA, 'client', 'http://web/')).stdout).toContain('hello-from-A');
    // (ping: see the hardening tests; busybox's ping needs the raw socket lab containers no longer get.)

    await sut.runContainer(labA, { name: 'linked', image: BUSYBOX, cmd: sleeper, links: [{ container: 'mon-serveur', alias: 'srv' }] });
    await waitHttp(labA, 'linked', 'http://srv/', 'hello-from-A');
    // Without the link the alias means nothing.
    expect((await wget(sut, labA, 'client', 'http://srv/')).exitCode).not.toBe(0);
  });

  it('shares a network namespace with container:<name>', async () => {
    await sut.runContainer(labA, { name: 'container1', image: BUSYBOX, cmd: httpd('from-c1', 8080) });
    const c2 = await sut.runContainer(labA, { name: 'container2', image: BUSYBOX, cmd: sleeper, network: 'container:container1' });
    expect(c2.networkMode).toBe('container:container1');
    expect(c2.networks).toEqual([]);
    await waitFor('port 8080 in container2', async () => (await sut.exec(labA, 'container2', ['netstat', '-ltn'])).stdout.includes(':8080'), { timeoutMs: 10_000 });
    expect((await wget(sut, labA, 'container2', 'http://127.0.0.1:8080/')).stdout).toContain('from-c1');
    expect((await sut.listContainers(labA)).find((c) => c.name === 'container2')?.networkMode).toBe('container:container1');
    await expectLayerError(sut.runContainer(labA, { name: 'c3', image: BUSYBOX, network: 'container:nobody' }), 'not-found');
  });

  it('publishes a port on the host', async () => {
    const port = await freePort();
    const info = await sut.runContainer(labA, { name: 'published', image: BUSYBOX, cmd: httpd('published-A'), publish: { containerPort: 80, hostPort: port } });
    expect(info.ports).toEqual([{ containerPort: 80, hostPort: port }]);
    const body = await waitFor(
      `http://127.0.0.1:${port}/`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? res.text() : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(body).toContain('published-A');
  });

  it('exec separates stdout, stderr and the exit code, and feeds stdin', async () => {
    const res = await sut.exec(labA, 'client', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(res).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3, timedOut: false });
    const cat = await sut.exec(labA, 'client', ['cat'], { stdin: 'from stdin\n' });
    expect(cat).toMatchObject({ stdout: 'from stdin\n', exitCode: 0 });
    const env = await sut.exec(labA, 'client', ['sh', '-c', 'echo $GREETING'], { env: { GREETING: 'bonjour' } });
    expect(env.stdout).toBe('bonjour\n');
    const big = await sut.exec(labA, 'client', ['sh', '-c', 'i=0; while [ $i -lt 40000 ]; do echo 0123456789012345678901234567890123456789; i=$((i+1)); done'], { timeoutMs: 30_000 });
    expect(big.stdout.length).toBe(1024 * 1024);
    expect(big.truncated).toBe(true);
    await expectLayerError(sut.exec(labA, 'nobody', ['true']), 'not-found');
  });

  it('exec gives up at its deadline and ends the command', async () => {
    const started = Date.now();
    const res = await sut.exec(labA, 'client', ['sh', '-c', 'echo before; sleep 31'], { timeoutMs: 2_000 });
    const elapsed = Date.now() - started;
    expect(res).toMatchObject({ timedOut: true, exitCode: null, stdout: 'before\n' });
    // Far from the 31 s the command would take, with room for a loaded machine: the old bound
    // (1.8 s for a 1 s deadline) timed the engine, and this case failed in a CI run beside faults-workers.
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(15_000);
    await waitFor('sleep 31 to be killed', async () => !(await sut.top(labA, 'client')).some((cmd) => cmd.includes('sleep 31')), { timeoutMs: 10_000 });
  });

  it("keeps labs apart: lab A cannot reach lab B's containers, and each lab's names are its own", async () => {
    await sut.runContainer(labB, { name: 'mon-serveur', image: BUSYBOX, cmd: httpd('hello-from-B') });
    await sut.runContainer(labB, { name: 'client', image: BUSYBOX, cmd: sleeper });
    await waitHttp(labB, 'client', 'http://mon-serveur/', 'hello-from-B');
    const bServer = (await sut.inspectContainer(labB, 'mon-serveur'))!;
    const bIp = bServer.networks[0].ipv4!;
    const across = await wget(sut, labA, 'client', `http://${bIp}/`);
    expect(across.stdout).toBe('');
    expect(across.exitCode === 0).toBe(false);
    expect((await sut.exec(labA, 'client', ['nc', '-w', '2', bIp, '80'], { stdin: '', timeoutMs: 5_000 })).exitCode).not.toBe(0);
    expect((await sut.exec(labA, 'client', ['ping', '-c1', '-W1', bIp])).exitCode).not.toBe(0);
    expect((await wget(sut, labA, 'client', 'http://mon-serveur/')).stdout).toContain('hello-from-A');
    // Another lab's container is invisible through this lab's scope.
    expect(await sut.inspectContainer(labA, `../${labB.prefix}-mon-serveur`)).toBeNull();
  });

  it('refuses what a lab may not do', async () => {
    await expectLayerError(sut.runContainer(labA, { name: 'h', image: BUSYBOX, network: 'host' }), 'forbidden', /host/);
    await expectLayerError(sut.runContainer(labA, { name: 'n', image: BUSYBOX, network: 'nowhere' }), 'not-found', /nowhere/);
    await expectLayerError(sut.createNetwork(labA, { ...bridgeSpec(subnets[3], 'toolong'), bridgeName: 'a-name-of-16-chr' }), 'forbidden', /15/);
    await expectLayerError(sut.createNetwork(labA, { ...bridgeSpec(subnets[3], 'bad'), bridgeName: 'br/0' }), 'forbidden');
    expect(await sut.inspectNetwork(labA, 'toolong')).toBeNull();
    await expectLayerError(
      sut.runContainer(labA, { name: 'mon-serveur', image: BUSYBOX, cmd: sleeper }),
      'conflict',
      /^container mon-serveur already exists in this lab$/,
    );
    await expectLayerError(sut.runContainer(labA, { name: 'ghost', image: MISSING_IMAGE }), 'image-missing');
    expect(await sut.inspectContainer(labA, 'ghost')).toBeNull();
  });

  it('limits the number of containers of a lab', async () => {
    const small = new DockerodeTenantDocker('local', ENDPOINT, { ...LIMITS, maxContainers: 2 });
    const labC = testScope(runId);
    await small.createNetwork(labC, bridgeSpec(subnets[4]));
    await Promise.all([small.runContainer(labC, { name: 'one', image: BUSYBOX, cmd: sleeper }), small.runContainer(labC, { name: 'two', image: BUSYBOX, cmd: sleeper })]);
    await expectLayerError(small.runContainer(labC, { name: 'three', image: BUSYBOX, cmd: sleeper }), 'limit', /at most 2 containers/);
    expect((await small.listContainers(labC)).map((c) => c.name)).toEqual(['one', 'two']);
    expect(await small.removeLab(labC)).toMatchObject({ containers: 2, networks: 1, images: 0, leaked: [] });
  });

  it('runs the lab console hidden: once, outside the TP lists and the container limit, replaced when stopped', async () => {
    const small = new DockerodeTenantDocker('local', ENDPOINT, { ...LIMITS, maxContainers: 1 });
    const labE = testScope(runId);
    await small.createNetwork(labE, bridgeSpec(subnets[7]));
    const gatewayDir = mkdtempSync(join(tmpdir(), 'netlabs-gw-'));
    // The entrypoint only checks the credential's shape; no daemon is asked here.
    const spec = { image: CONSOLE_IMAGE, gatewayDir, env: { NETLABS_LAB_CREDENTIAL: '00000000-0000-4000-8000-000000000000.x' }, ipv4: hostAddress(subnets[7], 254) };
    try {
      const first = await small.runConsole(labE, spec);
      expect(first).toMatchObject({ running: true, engineName: `${labE.prefix}--console`, networks: [{ name: 'bridge', ipv4: spec.ipv4 }] });
      expect((await small.runConsole(labE, spec)).id).toBe(first.id);
      // The one container the limit allows is the student's.
      await small.runContainer(labE, { name: 'one', image: BUSYBOX, cmd: sleeper });
      expect((await small.listContainers(labE)).map((c) => c.name)).toEqual(['one']);
      expect((await small.inspectNetwork(labE, 'bridge'))!.containers.map((c) => c.name)).toEqual(['one']);
      expect(await small.inspectContainer(labE, 'console')).toBeNull();
      await docker.getContainer(first.id).stop({ t: 1 });
      const second = await small.runConsole(labE, spec);
      expect(second.id).not.toBe(first.id);
      expect((await small.inspectContainer(labE, CONSOLE))?.running).toBe(true);
      // A new credential (GATEWAY_SECRET rotated) gives a new console.
      const rotated = await small.runConsole(labE, { ...spec, env: { NETLABS_LAB_CREDENTIAL: '00000000-0000-4000-8000-000000000000.y' } });
      expect(rotated.id).not.toBe(second.id);
      expect(await small.removeLab(labE)).toMatchObject({ containers: 2, networks: 1, images: 0, leaked: [] });
    } finally {
      rmSync(gatewayDir, { recursive: true, force: true });
    }
  });

  it('keeps a tty + stdin bash alive and gives a terminal that resizes and dies for real', async () => {
    await sut.runContainer(labA, { name: 'ubuntu', image: UBUNTU, tty: true, openStdin: true });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await sut.inspectContainer(labA, 'ubuntu'))?.running).toBe(true);
    const baseline = (await sut.top(labA, 'ubuntu')).filter((c) => c.includes('bash')).length;

    const term = await sut.openTerminal(labA, 'ubuntu', randomUUID(), { rows: 24, cols: 80 });
    let output = '';
    let ended = false;
    term.onData((d) => (output += d.toString('utf8')));
    term.onEnd(() => (ended = true));
    term.write('echo hi-$((40+2))\n');
    await waitFor('the shell to answer', () => output.includes('hi-42'), { timeoutMs: 10_000, intervalMs: 50 });
    await term.resize(33, 101);
    term.write('stty size\n');
    await waitFor('stty to show the new size', () => output.includes('33 101'), { timeoutMs: 10_000, intervalMs: 50 });
    term.write('sleep 1234 &\n');
    await waitFor('the background sleep', async () => (await sut.top(labA, 'ubuntu')).some((c) => c.includes('sleep 1234')), { timeoutMs: 10_000 });
    expect((await sut.top(labA, 'ubuntu')).filter((c) => c.includes('bash')).length).toBe(baseline + 1);

    await term.kill();
    await waitFor('onEnd', () => ended, { timeoutMs: 5_000, intervalMs: 50 });
    const after = await sut.top(labA, 'ubuntu');
    expect(after.filter((c) => c.includes('bash')).length).toBe(baseline);
    expect(after.some((c) => c.includes('sleep 1234'))).toBe(false);
  });

  it('stops, starts and removes one container; removing an absent one is fine', async () => {
    await sut.stopContainer(labA, 'linked', 1);
    expect(await sut.inspectContainer(labA, 'linked')).toMatchObject({ running: false, state: 'exited' });
    await sut.stopContainer(labA, 'linked', 1);
    await expectLayerError(sut.exec(labA, 'linked', ['true']), 'conflict', /not running/);
    await sut.startContainer(labA, 'linked');
    expect((await sut.inspectContainer(labA, 'linked'))?.running).toBe(true);
    await sut.removeContainer(labA, 'linked');
    await sut.removeContainer(labA, 'linked');
    expect(await sut.inspectContainer(labA, 'linked')).toBeNull();
  });

  it('ensures and builds images, once per tag, and reports failures', async () => {
    await sut.ensureImage(BUSYBOX);
    await expectLayerError(sut.ensureImage(MISSING_IMAGE), 'image-missing', /not on host local and could not be pulled/);

    const dir = mkdtempSync(join(tmpdir(), 'nt-build-'));
    try {
      const tag = `netlabs-test/build-${runId}:1`;
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nARG GREETING\nLABEL ${TEST_LABEL}=${runId}\nCOPY hello.txt /hello.txt\nRUN echo "$GREETING" > /greeting\n`);
      writeFileSync(join(dir, 'hello.txt'), 'from the context\n');
      const first = sut.buildImage(tag, dir, { GREETING: 'salut' });
      expect(sut.buildImage(tag, dir, { GREETING: 'salut' })).toBe(first);
      await first;
      await sut.buildImage(tag, dir); // exists: nothing to do
      await sut.runContainer(labA, { name: 'built', image: tag, cmd: sleeper });
      expect((await sut.exec(labA, 'built', ['cat', '/greeting', '/hello.txt'])).stdout).toBe('salut\nfrom the context\n');

      writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nLABEL ${TEST_LABEL}=${runId}\nRUN exit 7\n`);
      await expectLayerError(sut.buildImage(`netlabs-test/broken-${runId}:1`, dir), 'engine', /non-zero code: 7/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when an engine does not answer, and which hosts it knows', async () => {
    await expectLayerError(new DockerodeTenantDocker('ghost', 'unix:///tmp/no-such-docker.sock', LIMITS).ping(), 'unreachable', /Docker host ghost does not answer/);
    await expectLayerError(new DockerodeTenantDocker('closed', 'tcp://127.0.0.1:1', LIMITS).listOwned(), 'unreachable');
    await sut.ping();
    expect(pool.ids()).toEqual(['local']);
    expect(() => pool.get('elsewhere')).toThrow(DockerLayerError);
  });

  it('lists what it owns and removeLab leaves nothing of the lab', async () => {
    const owned = await sut.listOwned({ key: TEST_LABEL, value: runId });
    expect(owned.filter((o) => o.labId === labA.labId && o.kind === 'network').map((o) => o.engineName).sort()).toEqual([
      `${labA.prefix}-bridge`,
      `${labA.prefix}-chat`,
    ]);
    // An untagged image of lab A's, as a failed build or a build without -t leaves it.
    const [running] = await docker.listContainers({ filters: { label: [`${LABEL_LAB}=${labA.labId}`] } });
    const untagged = await docker.getContainer(running.Id).commit({ changes: `LABEL ${LABEL_LAB}=${labA.labId} ${TEST_LABEL}=${runId}` });
    const removed = await sut.removeLab(labA);
    expect(removed.networks).toBe(2);
    expect(removed.containers).toBeGreaterThanOrEqual(7);
    expect(removed.images).toBe(1);
    await expect(docker.getImage(untagged.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await sut.removeLab(labB);
    for (const scope of [labA, labB]) {
      const filters = { label: [`${LABEL_LAB}=${scope.labId}`] };
      expect(await docker.listContainers({ all: true, filters })).toEqual([]);
      expect(await docker.listNetworks({ filters })).toEqual([]);
      expect(await docker.listImages({ all: true, filters })).toEqual([]);
    }
    expect(await sut.removeLab(labA)).toMatchObject({ containers: 0, networks: 0, images: 0, leaked: [] });
  });
});

describe('hardening of every lab container (capabilities, logs, published address, leftovers)', () => {
  const hardened = new DockerodeTenantDocker('local', ENDPOINT, { ...LIMITS, logMb: 1, publishAddress: '127.0.0.1' });
  const labH = testScope(runId);
  const procs = async (name: string) => hardened.top(labH, name);

  beforeAll(async () => {
    await hardened.createNetwork(labH, bridgeSpec(subnets[3]));
    await hardened.runContainer(labH, { name: 'target', image: BUSYBOX, cmd: sleeper });
    await hardened.runContainer(labH, { name: 'deb', image: UBUNTU, cmd: sleeper });
  });

  afterAll(async () => {
    await hardened.removeLab(labH);
  });

  it('has no NET_RAW (no AF_PACKET socket) and few capabilities; ping still works through ICMP datagram sockets', async () => {
    const raw = await docker.getContainer(`${labH.prefix}-deb`).inspect();
    expect(raw.HostConfig).toMatchObject({ CapDrop: ['ALL'], CapAdd: LAB_CAPABILITIES, Sysctls: { 'net.ipv4.ping_group_range': '0 2147483647' } });
    const capEff = /CapEff:\s+([0-9a-f]+)/.exec((await hardened.exec(labH, 'deb', ['cat', '/proc/self/status'])).stdout)?.[1];
    const NET_RAW = 1n << 13n;
    expect(BigInt(`0x${capEff}`) & NET_RAW).toBe(0n);
    const packet = await hardened.exec(labH, 'deb', ['python3', '-c', 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); print("raw socket open")']);
    expect(packet.stdout).not.toContain('raw socket open');
    expect(packet.stderr).toMatch(/PermissionError|Operation not permitted/);
    const ping = await hardened.exec(labH, 'deb', ['ping', '-c1', '-W2', 'target'], { timeoutMs: 5_000 });
    expect(ping.exitCode, ping.stdout + ping.stderr).toBe(0);
  });

  it('rotates the json log: 20 MB written to stdout leave about LAB_LOG_MB (1 MB) on disk', async () => {
    const res = await hardened.exec(labH, 'deb', ['sh', '-c', 'head -c 20000000 /dev/zero | tr "\\0" x > /proc/1/fd/1'], { timeoutMs: 60_000 });
    expect(res.exitCode, res.stderr).toBe(0);
    const raw = await docker.getContainer(`${labH.prefix}-deb`).inspect();
    const logSize = () =>
      readdirSync(dirname(raw.LogPath))
        .filter((f) => f.startsWith(basename(raw.LogPath)))
        .reduce((sum, f) => sum + statSync(`${dirname(raw.LogPath)}/${f}`).size, 0);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(logSize()).toBeLessThan(1.5 * 1024 * 1024);
    expect(raw.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '512k', 'max-file': '2' } });
  });

  it('publishes on the configured address (LAB_PUBLISH_ADDRESS), not on every address of the host', async () => {
    const port = await freePort();
    await hardened.runContainer(labH, { name: 'web', image: BUSYBOX, cmd: httpd('published-H'), publish: { containerPort: 80, hostPort: port } });
    const raw = await docker.getContainer(`${labH.prefix}-web`).inspect();
    expect(raw.HostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    const get = (host: string) => fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text(), (e: Error) => `refused: ${e.message}`);
    expect(await waitFor('the published port on 127.0.0.1', async () => ((await get('127.0.0.1')).includes('published-H') ? 'ok' : undefined), { timeoutMs: 15_000 })).toBe('ok');
    // The machine's own address (not a Docker bridge): before LAB_PUBLISH_ADDRESS, the page answered there too.
    const external = Object.entries(networkInterfaces())
      .filter(([name]) => !/^(docker|br-|nlb|chat|nlt|veth|lo)/.test(name))
      .flatMap(([, addresses]) => addresses ?? [])
      .find((a) => a.family === 'IPv4' && !a.internal);
    expect(external, 'a non-loopback IPv4 address on this machine').toBeDefined();
    expect(await get(external!.address)).toMatch(/^refused/);
  });

  it.each([
    ['target', 'sh (busybox)'],
    ['deb', 'bash'],
  ])("an exec's background processes end with it, unless kept (%s, %s)", async (name) => {
    const left = await hardened.exec(labH, name, ['sh', '-c', 'sleep 4321 & echo started']);
    expect(left.stdout).toBe('started\n');
    await waitFor('the leftover sleep to be killed', async () => !(await procs(name)).some((c) => c.includes('sleep 4321')), { timeoutMs: 10_000 });
    await hardened.exec(labH, name, ['sh', '-c', 'sleep 4322 & echo started'], { keepBackground: true });
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await procs(name)).some((c) => c.includes('sleep 4322'))).toBe(true);
  });

  it('a fork bomb an exec leaves behind is killed, even with the container at its pids limit', async () => {
    const before = (await procs('deb')).length;
    await hardened.exec(labH, 'deb', ['bash', '-c', 'bomb() { bomb | bomb & }; bomb'], { timeoutMs: 5_000 });
    // Whether or not the bomb filled the limit before the kill came, nothing of it may stay.
    await waitFor('the fork bomb to be gone', async () => (await procs('deb')).length <= before, { timeoutMs: 90_000, intervalMs: 1_000 });
    expect((await hardened.exec(labH, 'deb', ['echo', 'alive'])).stdout).toBe('alive\n');
  });
});

