/**
 * The escape battery of the lab daemon (issue 10): from lab A, with the real docker CLI
 * where it can say it and raw HTTP on the unix socket where it cannot, every way out we
 * know of (research/docker-engine-api.md): host namespaces and privileges, mounts, other
 * labs' objects by name, id and id prefix, old API versions, odd paths and bodies, exec
 * ids, upgrades, builds, images, system endpoints, forged credentials. Each must be refused
 * with a message saying what is not allowed, and afterwards the engine must show that
 * nothing happened: no object created, lab B's objects untouched, B still working.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCredential } from '../libs/gateway/credentials';
import { removeTestObjects } from './support/docker-cleanup';
import {
  buildFolder,
  engine,
  engineSnapshot,
  eventsNaming,
  furnishVictim,
  type LabUnderTest,
  openLab,
  tarOf,
  type VictimObjects,
} from './support/escape-fixtures';
import { type HttpOptions, LabDaemon, statuses } from './support/lab-daemon';
import { TestStack } from './support/stack';

const work = mkdtempSync(path.join(os.tmpdir(), 'netlabs-escape-'));
const socket = path.join(work, 'gateway.sock');
const secret = randomBytes(24).toString('hex');
const sharedImages = [process.env.LAB_IMAGE_HTTPD ?? 'httpd:2.4', process.env.LAB_IMAGE_UBUNTU ?? 'ubuntu:24.04'];

let a: LabUnderTest;
let b: LabUnderTest;
let v: VictimObjects;
let a1: string; // lab A's own running container (full id)
let before: ReturnType<typeof engineSnapshot>;
let since = 0;
/** Requests the engine would make to this machine on a student's behalf (ADD <url>, remote contexts). */
const hostHits: string[] = [];
let hostUrl = '';
const hostServer = http.createServer((req, res) => {
  hostHits.push(`${req.method} ${req.url}`);
  res.end('host secret');
});

/** A refusal the docker CLI printed: a failed command whose error says what is not allowed. */
async function refusedByCli(args: string[], expected: RegExp, options: { env?: Record<string, string>; cwd?: string } = {}) {
  const r = await a.daemon.docker(args, options);
  expect(r.code, `docker ${args.join(' ')} succeeded: ${r.stdout}`).not.toBe(0);
  expect(r.stderr).toMatch(expected);
}

/** A refusal on the wire: a 4xx whose JSON message says what is not allowed. */
async function refusedOnWire(method: string, urlPath: string, status: number, expected: RegExp, options: HttpOptions = {}) {
  const reply = await a.daemon.request(method, urlPath, options);
  expect(reply.status, `${method} ${urlPath} -> ${reply.status} ${reply.text}`).toBe(status);
  if (method !== 'HEAD') expect(reply.message).toMatch(expected);
}

/** The images a legacy build printed for its steps (` ---> <id>`), its FROM steps' (the base images) left out. */
function builtLayers(output: string): string[] {
  const ids: string[] = [];
  let fromStep = false;
  for (const line of output.split('\n')) {
    const step = /^Step \d+\/\d+ : (\S+)/.exec(line);
    if (step) fromStep = step[1].toUpperCase() === 'FROM';
    const id = /^ ---> ([0-9a-f]{12,64})$/.exec(line.trimEnd());
    if (id && !fromStep) ids.push(id[1]);
  }
  return ids;
}

const json = (body: unknown): HttpOptions => ({ headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const run = (...opts: string[]) => ['run', '-d', ...opts, 'ubuntu', 'true'];
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

describe('lab daemon escape battery: lab A against lab B and the host', () => {
  // Three containers per lab: B uses two, A one, so the limit is within reach of one test.
  const stack = new TestStack({ GATEWAY_SOCKET: socket, GATEWAY_SECRET: secret, LAB_MAX_CONTAINERS: '3' });

  beforeAll(async () => {
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://127.0.0.1:${(hostServer.address() as AddressInfo).port}`;
    await stack.start();
    const created = await stack.createClassAndWait(['escape-a', 'escape-b'], 'escape battery');
    [a, b] = await Promise.all(created.labs.map((lab) => openLab(stack, secret, socket, work, lab)));
    v = await furnishVictim(b);
    const own = await a.daemon.docker(['run', '-d', '--name', 'a1', 'ubuntu', 'sleep', 'infinity']);
    if (own.code !== 0) throw new Error(`lab A could not run its own container: ${own.stderr}`);
    a1 = own.stdout.trim();
    before = engineSnapshot(stack.runId, v, sharedImages);
    since = Date.now() / 1000;
  });

  afterAll(async () => {
    await stack.stop();
    await removeTestObjects(stack.runId);
    hostServer.close();
    rmSync(work, { recursive: true, force: true });
  });

  describe('container options that reach the host are refused (docker run)', () => {
    it.each([
      ['--privileged', () => run('--privileged'), /--privileged is not allowed in a lab/],
      ['--cap-add NET_ADMIN', () => run('--cap-add', 'NET_ADMIN'), /--cap-add is not allowed in a lab/],
      ['--cap-add ALL', () => run('--cap-add', 'ALL'), /--cap-add is not allowed in a lab/],
      ['--device', () => run('--device', '/dev/kmsg'), /--device is not allowed in a lab/],
      ['-v /:/host', () => run('-v', '/:/host'), /bind mounts .* are not allowed in a lab/],
      ['-v docker.sock', () => run('-v', '/var/run/docker.sock:/var/run/docker.sock'), /bind mounts .* are not allowed in a lab/],
      ['-v named volume', () => run('-v', 'evil:/data'), /bind mounts .* are not allowed in a lab/],
      ['-v anonymous volume', () => run('-v', '/data'), /volumes .* are not available in a lab/],
      ['--mount bind', () => run('--mount', 'type=bind,src=/,dst=/host'), /--mount is not allowed in a lab/],
      ['--mount volume o=bind device=/', () => run('--mount', 'type=volume,src=evil,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/'), /--mount is not allowed in a lab/],
      ['--volumes-from B by name', () => run('--volumes-from', 'web'), /--volumes-from is not allowed in a lab/],
      ['--volumes-from B by id', () => run('--volumes-from', v.containerId), /--volumes-from is not allowed in a lab/],
      ['--pid host', () => run('--pid', 'host'), /--pid is not allowed in a lab/],
      ['--pid container:B', () => run('--pid', `container:${v.containerId}`), /--pid is not allowed in a lab/],
      ['--ipc host', () => run('--ipc', 'host'), /--ipc is not allowed in a lab/],
      ['--ipc container:B', () => run('--ipc', `container:${v.containerId}`), /--ipc is not allowed in a lab/],
      ['--uts host', () => run('--uts', 'host'), /--uts is not allowed in a lab/],
      ['--userns host', () => run('--userns', 'host'), /--userns is not allowed in a lab/],
      ['--cgroupns host', () => run('--cgroupns', 'host'), /--cgroupns=host is not allowed in a lab/],
      ['--security-opt seccomp', () => run('--security-opt', 'seccomp=unconfined'), /--security-opt is not allowed in a lab/],
      ['--security-opt apparmor', () => run('--security-opt', 'apparmor=unconfined'), /--security-opt is not allowed in a lab/],
      ['--sysctl', () => run('--sysctl', 'net.ipv4.ip_forward=1'), /--sysctl is not allowed in a lab/],
      ['--cgroup-parent', () => run('--cgroup-parent', '/'), /--cgroup-parent is not allowed in a lab/],
      ['--runtime', () => run('--runtime', 'runc'), /--runtime is not allowed in a lab/],
      ['--group-add', () => run('--group-add', '0'), /--group-add is not allowed in a lab/],
      ['--net host', () => run('--net', 'host'), /--net host is not allowed in a lab/],
      ['-P', () => run('-P'), /publish all ports\) is not allowed in a lab/],
      ['-p another port', () => run('-p', '8080:80'), /may publish only on its own host port/],
      ["-p B's port", () => run('-p', `${b.values.httpdPort}:80`), /may publish only on its own host port/],
    ] as [string, () => string[], RegExp][])('%s', async (_label, args, expected) => {
      await refusedByCli(args(), expected);
    });
  });

  describe("lab B's objects cannot be named from lab A (name, full id, id prefix, engine name)", () => {
    const noContainer = /No such container/;
    const noNetwork = /not found|No such network/;
    it.each([
      ['--net container:B name', () => run('--net', 'container:web'), noContainer],
      ['--net container:B id', () => run('--net', `container:${v.containerId}`), noContainer],
      ['--net container:B prefix', () => run('--net', `container:${short(v.containerId)}`), noContainer],
      ['--net container:B engine name', () => run('--net', `container:${v.engineContainer}`), noContainer],
      ['--link B name', () => run('--link', 'web:x'), noContainer],
      ['--link B id', () => run('--link', `${v.containerId}:x`), noContainer],
      ['--net B network name', () => run('--net', 'privnet'), noNetwork],
      ['--net B network id', () => run('--net', v.networkId), noNetwork],
      ['--net B network engine name', () => run('--net', v.engineNetwork), noNetwork],
      ['network connect B network name', () => ['network', 'connect', 'privnet', 'a1'], noNetwork],
      ['network connect B network id', () => ['network', 'connect', v.networkId, 'a1'], noNetwork],
      ['network connect B network prefix', () => ['network', 'connect', short(v.networkId), 'a1'], noNetwork],
      ['network connect B container name', () => ['network', 'connect', 'bridge', 'web'], noContainer],
      ['network connect B container id', () => ['network', 'connect', 'bridge', v.containerId], noContainer],
      ['network connect B container prefix', () => ['network', 'connect', 'bridge', short(v.containerId)], noContainer],
      ['network connect host', () => ['network', 'connect', 'host', 'a1'], /host is a pre-defined network and cannot be joined in a lab/],
      ['network disconnect B', () => ['network', 'disconnect', 'privnet', 'worker'], noNetwork],
      ['network rm B name', () => ['network', 'rm', 'privnet'], noNetwork],
      ['network rm B id', () => ['network', 'rm', v.networkId], noNetwork],
      ['stop B', () => ['stop', 'web'], noContainer],
      ['kill B prefix', () => ['kill', short(v.containerId)], noContainer],
      ['pause B id', () => ['pause', v.containerId], noContainer],
      ['restart B', () => ['restart', 'web'], noContainer],
      ['rm B', () => ['rm', v.containerId], noContainer],
      ['exec in B', () => ['exec', 'web', 'id'], noContainer],
      ['exec in B prefix', () => ['exec', short(v.containerId), 'id'], noContainer],
      ['logs of B', () => ['logs', 'web'], noContainer],
      ['top of B', () => ['top', v.containerId], noContainer],
      ['commit B', () => ['commit', 'web', 'stolen'], noContainer],
      ['cp out of B', () => ['cp', 'web:/etc/hostname', '-'], noContainer],
      ['cp into B', () => ['cp', '/etc/hostname', `${v.containerId}:/tmp/x`], noContainer],
      ['update B', () => ['update', '--memory', '2g', 'web'], /docker update is not available in a lab/],
      ['inspect B by name', () => ['inspect', 'web'], /No such object: web/],
      ['inspect B by id', () => ['inspect', v.containerId], /No such object/],
      ['container inspect B prefix', () => ['container', 'inspect', short(v.containerId)], noContainer],
      ['network inspect B name', () => ['network', 'inspect', 'privnet'], noNetwork],
      ['network inspect B id', () => ['network', 'inspect', v.networkId], noNetwork],
      ['image inspect B name', () => ['image', 'inspect', 'bimg'], /No such image/],
      ['image inspect B id', () => ['image', 'inspect', v.imageId], /No such image/],
      ['image inspect B engine ref', () => ['image', 'inspect', v.engineImage], /invalid reference format|No such image/],
      ['run B image', () => ['run', '-d', 'bimg'], /pull access denied for bimg/],
      ['tag B image', () => ['tag', v.imageId, 'stolen'], /No such image/],
    ] as [string, () => string[], RegExp][])('%s', async (_label, args, expected) => {
      await refusedByCli(args(), expected);
    });

    it.each([
      ['GET', () => `/containers/${short(v.containerId)}/json`, noContainer],
      ['GET', () => `/containers/${v.engineContainer}/json`, noContainer],
      ['POST', () => `/containers/${v.containerId}/pause?x=/start`, noContainer],
      ['POST', () => `/containers/${v.containerId}/kill`, noContainer],
      ['POST', () => `/containers/${v.containerId}/wait`, noContainer],
      ['DELETE', () => `/containers/${v.containerId}?force=1`, noContainer],
      ['GET', () => `/containers/${v.containerId}/logs?stdout=1`, noContainer],
      ['GET', () => `/containers/${v.containerId}/stats?stream=0`, noContainer],
      ['GET', () => `/containers/${v.containerId}/archive?path=/etc/hostname`, noContainer],
      ['HEAD', () => `/containers/${v.containerId}/archive?path=/etc/hostname`, noContainer],
      ['POST', () => `/commit?container=${v.containerId}&repo=stolen`, noContainer],
      ['GET', () => `/exec/${v.execId}/json`, /No such exec instance/],
      ['POST', () => `/exec/${v.execId}/resize?h=10&w=10`, /No such exec instance/],
      ['GET', () => `/networks/${v.networkId}`, noNetwork],
      ['DELETE', () => `/networks/${short(v.networkId)}`, noNetwork],
      ['GET', () => `/images/${v.imageId}/history`, /No such image/],
    ] as [string, () => string, RegExp][])('%s %s', async (method, urlPath, expected) => {
      await refusedOnWire(method, urlPath(), 404, expected);
    });

    it("refuses B's exec ids, attach and exec upgrades on B's container, archive writes and network moves", async () => {
      const noExec = /No such exec instance/;
      await refusedOnWire('POST', `/exec/${v.execId}/start`, 404, noExec, json({ Detach: true }));
      await refusedOnWire('POST', `/exec/${v.execId}/start`, 404, noExec, { ...json({ Detach: false, Tty: true }), upgrade: 'tcp' });
      await refusedOnWire('POST', `/containers/${v.containerId}/attach?stream=1&stdin=1&stdout=1&stderr=1`, 404, noContainer, { upgrade: 'tcp' });
      await refusedOnWire('POST', `/containers/${v.containerId}/exec`, 404, noContainer, json({ Cmd: ['id'], AttachStdout: true }));
      const tar = await tarOf([{ name: 'planted', text: 'from lab A' }]);
      await refusedOnWire('PUT', `/containers/${v.containerId}/archive?path=/tmp`, 404, noContainer, { headers: { 'content-type': 'application/x-tar' }, body: tar });
      await refusedOnWire('POST', `/networks/${v.networkId}/connect`, 404, noNetwork, json({ Container: a1 }));
      await refusedOnWire('POST', '/networks/bridge/connect', 404, noContainer, json({ Container: v.containerId }));
      await refusedOnWire('POST', '/networks/bridge/disconnect', 404, noContainer, json({ Container: v.containerId, Force: true }));
      await refusedOnWire('POST', `/networks/${v.networkId}/disconnect`, 404, noNetwork, json({ Container: v.containerId }));
    });

    it("lists show nothing of lab B (ps, network ls, images, info, filters naming B)", async () => {
      const ps = await a.daemon.docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Image}}']);
      expect(ps.stdout.trim().split('\n')).toEqual([`${a1} a1 ubuntu`]);
      const nets = (await a.daemon.docker(['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}}'])).stdout;
      expect(nets).not.toContain(v.networkId);
      expect(nets.split('\n').map((l) => l.split(' ')[1]).filter(Boolean).sort()).toEqual(['bridge', 'host', 'none']);
      const images = (await a.daemon.docker(['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}'])).stdout;
      expect(images).not.toContain(short(v.imageId));
      expect(images.split('\n').map((l) => l.split(' ')[1]).filter(Boolean).sort()).toEqual(['httpd', 'ubuntu']);
      const info = await a.daemon.docker(['info', '--format', '{{.Containers}}']);
      expect(info.stdout.trim(), info.stderr).toBe('1');
      for (const filters of [{ label: [`netlabs.lab=${b.id}`] }, { id: [v.containerId] }, { name: ['web'] }]) {
        const found = await a.daemon.json('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`);
        expect(found).toEqual([]);
      }
      const seen = JSON.stringify(await a.daemon.json('GET', '/containers/json?all=1')) + JSON.stringify(await a.daemon.json('GET', '/networks'));
      for (const secretOfB of [b.id, b.prefix, v.containerId, v.networkId]) expect(seen).not.toContain(secretOfB);
    });
  });

  describe('bypasses of earlier Engine API proxies are refused (raw HTTP)', () => {
    const binds = { Binds: ['/:/host'] };
    it.each([
      ['old API version with HostConfig at start (own container)', () => ['POST', `/v1.23/containers/${a1}/start`, json(binds)], 400, /client API version 1\.23 is not supported/],
      ["old API version with HostConfig at start (B's container)", () => ['POST', `/v1.23/containers/${v.containerId}/start`, json(binds)], 400, /client API version 1\.23 is not supported/],
      ['very old API version', () => ['POST', `/v1.12/containers/${a1}/start`, json(binds)], 400, /client API version 1\.12 is not supported/],
      ['HostConfig at start on a served version', () => ['POST', `/v1.24/containers/${a1}/start`, json(binds)], 400, /takes no request body in a lab/],
      ['Privileged at start', () => ['POST', `/v1.41/containers/${a1}/start`, json({ Privileged: true })], 400, /takes no request body in a lab/],
      ['content type with charset carrying Privileged', () => ['POST', '/v1.41/containers/create', { headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ Image: 'ubuntu', HostConfig: { Privileged: true } }) }], 403, /--privileged is not allowed in a lab/],
      ['text/plain carrying Privileged', () => ['POST', '/containers/create', { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ Image: 'ubuntu', HostConfig: { Privileged: true } }) }], 403, /--privileged is not allowed in a lab/],
      ['duplicate key, the last one privileged', () => ['POST', '/containers/create', json('{"Image":"ubuntu","HostConfig":{"Privileged":false,"Privileged":true}}')], 403, /--privileged is not allowed in a lab/],
      ['lower-case key (Go matches keys case-insensitively)', () => ['POST', '/containers/create', json({ Image: 'ubuntu', HostConfig: { privileged: true } })], 403, /HostConfig\.privileged is not allowed in a lab/],
      ['lower-case HostConfig', () => ['POST', '/containers/create', json({ Image: 'ubuntu', hostconfig: { Binds: ['/:/host'] } })], 403, /hostconfig is not allowed in a lab/],
      ['Mounts with a volume driver config', () => ['POST', '/containers/create', json({ Image: 'ubuntu', HostConfig: { Mounts: [{ Type: 'volume', Source: 'evil', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }] } })], 403, /--mount is not allowed in a lab/],
      ['%2F-encoded path', () => ['GET', '/v1.41/containers%2Fjson', {}], 400, /encoded characters in the request path are not accepted/],
      ["%2F-encoded path to B's container", () => ['POST', `/v1.41/containers%2F${v.containerId}%2Fstop`, {}], 400, /encoded characters in the request path are not accepted/],
      ['// in the path', () => ['GET', '//containers/json', {}], 400, /empty or dot segments in the request path are not accepted/],
      ['// after the version', () => ['GET', `/v1.41//containers/${v.containerId}/json`, {}], 400, /empty or dot segments/],
      ['/./ in the path', () => ['GET', '/./containers/json', {}], 400, /empty or dot segments/],
      ['/x/../ in the path', () => ['GET', `/x/../containers/${v.containerId}/json`, {}], 400, /empty or dot segments/],
      ['a three-part version', () => ['GET', '/v1.41.0/containers/json', {}], 400, /malformed API version/],
      ['query string naming another action (export)', () => ['GET', `/containers/${a1}/export?x=/json`, {}], 403, /docker export is not available in a lab/],
      ['query string naming another action (events)', () => ['GET', '/events?x=/_ping', {}], 403, /GET \/events is not available in a lab/],
      ['query string naming another action (update)', () => ['POST', `/containers/${a1}/update?x=/start`, json({ Memory: 0 })], 403, /docker update is not available in a lab/],
      ['a chunked body on start', () => ['POST', `/containers/${a1}/start`, { headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: JSON.stringify(binds) }], 400, /takes no request body in a lab/],
      ['NUL in a container name', () => ['POST', '/containers/create?name=a%00b', json({ Image: 'ubuntu' })], 400, /Invalid container name/],
      ['NUL in an image name', () => ['POST', '/containers/create', json({ Image: 'ubuntu\u0000alpine' })], 400, /invalid reference format/],
      ['NUL in a bind', () => ['POST', '/containers/create', json({ Image: 'ubuntu', HostConfig: { Binds: ['/:/host\u0000'] } })], 403, /bind mounts .* are not allowed in a lab/],
      ['NUL in a network name', () => ['POST', '/networks/create', json({ Name: 'x\u0000y' })], 400, /invalid network name/],
      ['exec --privileged on its own container', () => ['POST', `/containers/${a1}/exec`, json({ Cmd: ['id'], Privileged: true })], 403, /docker exec --privileged is not allowed in a lab/],
    ] as [string, () => [string, string, HttpOptions], number, RegExp][])('%s', async (_label, make, status, expected) => {
      const [method, urlPath, options] = make();
      await refusedOnWire(method, urlPath, status, expected, options);
    });

    it('a body after Content-Length: 0 is never read as the body (own and B container)', async () => {
      const smuggled = JSON.stringify(binds);
      for (const [target, first] of [[a1, [204, 304]], [v.containerId, [404]]] as [string, number[]][]) {
        const raw = await a.daemon.raw(a.daemon.head('POST', `/v1.41/containers/${target}/start`, ['Content-Type: application/json', 'Content-Length: 0']) + smuggled);
        const got = statuses(raw);
        // The smuggled bytes are read as the next request, which the daemon rejects (its
        // parser may answer that before the start's own answer, and then close).
        expect(got).toContain(400);
        expect(got.filter((s) => s !== 400).every((s) => first.includes(s))).toBe(true);
      }
      expect(engine('inspect', '--format', '{{json .HostConfig.Binds}} {{json .Mounts}}', a1)).toBe('[] []');
    });

    it('an absolute-form request target is refused', async () => {
      const raw = await a.daemon.raw(a.daemon.head('GET', `http://docker/containers/${v.containerId}/json`));
      expect(statuses(raw)).toEqual([400]);
      expect(raw).toMatch(/malformed request path/);
    });

    it('NUL bytes in the request line are rejected before any handler', async () => {
      const raw = await a.daemon.raw(a.daemon.head('GET', `/containers/${v.containerId}\u0000/json`));
      expect(statuses(raw)).toEqual([400]);
    });
  });

  describe('endpoints that reach across labs are refused', () => {
    it.each([
      ['events', () => ['events', '--since', '1m', '--until', '0s'], /GET \/events is not available in a lab/],
      ['system df', () => ['system', 'df'], /GET \/system\/df is not available in a lab/],
      ['container prune', () => ['container', 'prune', '-f'], /docker container prune is not available in a lab/],
      ['network prune', () => ['network', 'prune', '-f'], /docker network prune is not available in a lab/],
      ['image prune', () => ['image', 'prune', '-af'], /this image operation is not available in a lab/],
      ['volume prune', () => ['volume', 'prune', '-f'], /POST \/volumes\/prune is not available in a lab/],
      ['builder prune', () => ['builder', 'prune', '-f'], /POST \/build\/prune is not available in a lab/],
      ['system prune', () => ['system', 'prune', '-f'], /not available in a lab/],
      ['volume create o=bind device=/', () => ['volume', 'create', '--driver', 'local', '--opt', 'type=none', '--opt', 'o=bind', '--opt', 'device=/', 'evil'], /POST \/volumes\/create is not available in a lab/],
      ['swarm init', () => ['swarm', 'init'], /POST \/swarm\/init is not available in a lab/],
      ['node ls', () => ['node', 'ls'], /GET \/nodes is not available in a lab/],
      ['export', () => ['export', 'a1'], /docker export is not available in a lab/],
      ['update lifting the memory limit', () => ['update', '--memory', '4g', '--memory-swap', '-1', 'a1'], /docker update is not available in a lab/],
      ['pull of an image not allowed', () => ['pull', 'alpine'], /pull access denied for alpine: this lab can pull httpd, ubuntu/],
      ['pull of a host image', () => ['pull', 'netlabs-local/busybox'], /invalid reference format/],
      ["pull of B's image", () => ['pull', v.engineImage], /invalid reference format/],
      ['run of an image not allowed', () => ['run', '-d', 'alpine'], /pull access denied for alpine/],
      ['rmi of a shared image', () => ['rmi', 'httpd'], /httpd is shared by every lab on this host and cannot be removed/],
      ['rmi -f of a shared image by id', () => ['rmi', '-f', engine('image', 'inspect', '--format', '{{.Id}}', sharedImages[1])], /by name in a lab/],
      ['tag over a shared image', () => ['tag', 'ubuntu', 'httpd'], /"httpd" is an image every lab shares and cannot be replaced here/],
      ['tag over a shared image tag', () => ['tag', 'ubuntu', 'httpd:evil'], /"httpd" is an image every lab shares/],
      ['search (a registry)', () => ['search', 'alpine'], /this image operation is not available in a lab/],
      ['login (credentials for a registry)', () => ['login', '-u', 'x', '-p', 'y', 'localhost:5000'], /POST \/auth is not available in a lab/],
    ] as [string, () => string[], RegExp][])('%s', async (_label, args, expected) => {
      await refusedByCli(args(), expected);
    });

    it.each([
      ['POST', '/containers/prune', /docker container prune is not available/],
      ['POST', '/networks/prune', /docker network prune is not available/],
      ['POST', '/images/prune', /this image operation is not available/],
      ['POST', '/volumes/prune', /POST \/volumes\/prune is not available in a lab/],
      ['GET', '/system/df', /GET \/system\/df is not available in a lab/],
      ['GET', '/swarm', /GET \/swarm is not available in a lab/],
      ['GET', '/services', /GET \/services is not available in a lab/],
      ['POST', '/plugins/pull?remote=vieux/sshfs&name=sshfs', /POST \/plugins\/pull is not available in a lab/],
      ['POST', '/plugins/create?name=evil', /POST \/plugins\/create is not available in a lab/],
      ['GET', '/images/get?names=httpd', /this image operation is not available/],
      ['POST', '/images/load', /this image operation is not available/],
      ['POST', '/images/create?fromSrc=-&repo=evil', /docker import is not available in a lab/],
      ['POST', '/images/httpd/push', /this image operation is not available/],
      ['POST', '/build/prune', /POST \/build\/prune is not available in a lab/],
    ] as [string, string, RegExp][])('%s %s', async (method, urlPath, expected) => {
      await refusedOnWire(method, urlPath, 403, expected);
    });

    it('refuses /session and /grpc upgrades (BuildKit) before any upgrade', async () => {
      await refusedOnWire('POST', '/session', 403, /POST \/session is not available in a lab/, { upgrade: 'h2c' });
      await refusedOnWire('POST', '/grpc', 403, /POST \/grpc is not available in a lab/, { upgrade: 'h2c' });
    });
  });

  describe('network create stays inside the lab', () => {
    it.each([
      ['subnet outside the allocation', () => ['network', 'create', '--subnet', '10.0.0.0/24', 'x'], () => new RegExp(`outside this lab's addresses: use ${a.values.chatSubnet.replace(/\./g, '\\.')}`)],
      ["B's subnet", () => ['network', 'create', '--subnet', b.values.chatSubnet, 'x'], () => /outside this lab's addresses/],
      ["B's bridge subnet", () => ['network', 'create', '--subnet', b.values.bridgeSubnet, 'x'], () => /outside this lab's addresses/],
      ['a subnet holding the allocation', () => ['network', 'create', '--subnet', a.values.chatSubnet.replace(/\/24$/, '/16'), 'x'], () => /outside this lab's addresses/],
      ['driver macvlan', () => ['network', 'create', '-d', 'macvlan', 'x'], () => /driver "macvlan" is not available in a lab/],
      ['driver host', () => ['network', 'create', '-d', 'host', 'x'], () => /driver "host" is not available in a lab/],
      ['a bridge name that is no interface name', () => ['network', 'create', '-o', 'com.docker.network.bridge.name=much-too-long-name0', 'x'], () => /is not a valid interface name/],
      ['a bridge option not allowed', () => ['network', 'create', '-o', 'com.docker.network.bridge.host_binding_ipv4=0.0.0.0', 'x'], () => /network option com\.docker\.network\.bridge\.host_binding_ipv4 is not available in a lab/],
      ['IPv6', () => ['network', 'create', '--ipv6', 'x'], () => /IPv6 networks are not available in a lab/],
      ['an IPAM driver', () => ['network', 'create', '--ipam-driver', 'evil', 'x'], () => /IPAM drivers other than default are not available in a lab/],
      ['a predefined name', () => ['network', 'create', 'host'], () => /already exists \(it is predefined\)/],
    ] as [string, () => string[], () => RegExp][])('%s', async (_label, args, expected) => {
      await refusedByCli(args(), expected());
    });
  });

  describe('builds cannot reach other images, the host network or the host', () => {
    const build = async (dockerfile: string, expected: RegExp, args: string[] = [], env?: Record<string, string>) =>
      refusedByCli(['build', ...args, '.'], expected, { cwd: buildFolder(a, dockerfile), env });
    const refusedBuild = (bytes: Buffer, query: string, expected: RegExp) =>
      refusedOnWire('POST', `/build?${query}`, 400, expected, { headers: { 'content-type': 'application/x-tar' }, body: bytes });

    it('BuildKit through the CLI (session upgrade)', () => build('FROM httpd\n', /not available in a lab/, [], { DOCKER_BUILDKIT: '1' }));
    it('BuildKit on the wire (version=2)', async () => {
      await refusedOnWire('POST', '/build?version=2', 403, /BuildKit is not available in a lab/, { headers: { 'content-type': 'application/x-tar' }, body: await tarOf([{ name: 'Dockerfile', text: 'FROM httpd\n' }]) });
    });
    it('--network host', () => build('FROM httpd\n', /--network host is not available for builds in a lab/, ['--network', 'host']));
    it('a remote context', async () => {
      await refusedOnWire('POST', `/build?remote=${encodeURIComponent(`${hostUrl}/context.tar`)}`, 403, /builds from a remote context .* are not available in a lab/);
    });
    it('FROM an image the lab may not use (host image)', () => build('FROM netlabs-local/busybox:latest\n', /invalid reference format/));
    it("FROM B's image by engine name", () => build(`FROM ${v.engineImage}\n`, /invalid reference format/));
    it('FROM an image nobody has (would be pulled from a registry)', () => build('FROM alpine:3.19\nRUN true\n', /alpine:3\.19.* no such image in this lab/));
    it("FROM B's image by id (would be pulled from a registry)", () => build(`FROM ${short(v.imageId)}\n`, /no such image in this lab/));
    it('COPY --from=<image>', () => build(`FROM httpd\nCOPY --from=ubuntu /etc/shadow /x\n`, /names an image: in a lab, --from may only name an earlier build stage/));
    it("COPY --from=<B's image>", () => build(`FROM httpd\nCOPY --from=${v.engineImage} / /b\n`, /names an image/));
    // A first, honest stage: the policy must not stop at "no FROM instruction" by luck.
    it("FROM B's image behind a line continuation", () => build(`FROM httpd AS base\nFROM ${v.engineImage} \\\n  AS stolen\nLABEL x=y\n`, /invalid reference format/));
    it('FROM split across lines', () => build(`FROM httpd AS base\nFR\\\nOM ${v.engineImage}\nLABEL x=y\n`, /invalid reference format/));
    it('FROM split with a backtick escape and a comment inside', () => build(`# escape=\`\nFROM httpd AS base\nFR\`\n# hidden\nOM ${v.engineImage}\nLABEL x=y\n`, /invalid reference format/));
    it('ADD <url> fetched by the engine on the host', async () => {
      await build(`FROM httpd\nADD ${hostUrl}/add /x\n`, /ADD .*not available in a lab/);
      await build(`FROM httpd\nARG U=${hostUrl}/add-arg\nADD $U /x\n`, /ADD .*not available in a lab/);
      await build(`FROM httpd\nONBUILD ADD ${hostUrl}/onbuild /x\n`, /ADD .*not available in a lab/);
    });
    it('a second Dockerfile in the context (the engine would use the last)', async () => {
      const checked = { name: 'Dockerfile', text: 'FROM httpd\nLABEL probe=checked\n' };
      await refusedBuild(await tarOf([checked, { name: './Dockerfile', text: `FROM ${v.engineImage}\n` }]), 'dockerfile=Dockerfile', /holds Dockerfile more than once/);
      await refusedBuild(await tarOf([checked, { name: 'x/../Dockerfile', text: `FROM ${v.engineImage}\n` }]), 'dockerfile=Dockerfile', /holds Dockerfile more than once/);
    });
  });

  describe('credentials', () => {
    const forged = () => `${a.id}.${randomBytes(32).toString('base64url').slice(0, 43)}`;
    it.each([
      ['no credential', () => null],
      ['a forged MAC for lab A', forged],
      ["B's lab id with A's MAC", () => `${b.id}.${a.daemon.credential!.split('.')[1]}`],
      ['a credential of another secret', () => labCredential('another-secret-of-16+chars', b.id)],
      ["A's credential with an extra part", () => `${a.daemon.credential}.x`],
      ['an upper-cased credential', () => a.daemon.credential!.toUpperCase()],
    ] as [string, () => string | null][])('%s', async (_label, credential) => {
      const cred = credential();
      for (const urlPath of ['/_ping', '/containers/json?all=1', `/containers/${v.containerId}/json`]) {
        await refusedOnWire('GET', urlPath, 401, /this daemon only answers the console of a NetLabs lab/, { credential: cred });
      }
      await refusedOnWire('POST', `/containers/${v.containerId}/attach?stream=1&stdout=1`, 401, /only answers the console of a NetLabs lab/, { credential: cred, upgrade: 'tcp' });
    });

    it('the CLI without a credential, and with two credentials, is refused', async () => {
      const anonymous = new LabDaemon(socket, null, mkdtempSync(path.join(work, 'anon-')));
      const r = await anonymous.docker(['ps']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/only answers the console of a NetLabs lab/);
      const raw = await a.daemon.raw(a.daemon.head('GET', '/containers/json', [`X-NetLabs-Lab: ${labCredential(secret, b.id)}`]));
      // Two values of the header are joined by the server and match no lab.
      expect(statuses(raw)).toEqual([401]);
    });
  });

  it('afterwards the engine shows that nothing happened and lab B still works', async () => {
    const until = Date.now() / 1000 + 1;
    const after = engineSnapshot(stack.runId, v, sharedImages);
    expect(after).toEqual(before);
    expect(eventsNaming(since, until, [a.prefix, b.prefix, a.id, b.id], sharedImages)).toEqual([]);
    expect(hostHits).toEqual([]);
    expect(engine('inspect', '--format', '{{.HostConfig.Memory}} {{.HostConfig.Privileged}} {{json .Mounts}}', a1)).toMatch(/^\d+ false \[\]$/);
    // B's student still has everything: the web server answers, the exec runs, the network holds its container.
    expect(await (await fetch(`http://127.0.0.1:${b.values.httpdPort}/`)).text()).toContain('It works!');
    expect((await b.daemon.docker(['exec', 'worker', 'true'])).code).toBe(0);
    expect((await b.daemon.docker(['ps', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort()).toEqual(['web', 'worker']);
    expect((await b.daemon.json('GET', `/exec/${v.execId}/json`)).Running).toBe(true);
    expect((await b.daemon.docker(['image', 'inspect', '--format', '{{.Id}}', 'bimg'])).stdout.trim()).toBe(v.imageId);
  });

  describe('mapped, not refused (after the sweep: these create objects of lab A)', () => {
    it('an image labelled as a NetLabs helper does not hide containers from the lab (nor from its limit)', async () => {
      const built = await a.daemon.docker(['build', '-t', 'hidden', '.'], { cwd: buildFolder(a, 'FROM ubuntu\nLABEL netlabs.role=console\n') });
      expect(built.code, built.stderr).toBe(0);
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await a.daemon.docker(['run', '-d', 'hidden', 'sleep', '60']));
      // a1 and two more fill the lab's three; the third is refused, and all of them show.
      expect(runs.map((r) => r.code), runs.map((r) => r.stderr).join(' | ')).toEqual([0, 0, 125]);
      expect(runs[2].stderr).toMatch(/this lab may have at most 3 containers/);
      const ps = (await a.daemon.docker(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      expect(ps.sort()).toEqual([a1, runs[0].stdout.trim(), runs[1].stdout.trim()].sort());
      // On the engine: those three, and the lab's console (NetLabs' own, outside the limit).
      const onEngine = engine('ps', '-a', '--format', '{{.Names}}', '--filter', `label=netlabs.lab=${a.id}`).split('\n').filter(Boolean);
      expect(onEngine.filter((name) => !name.endsWith('--console'))).toHaveLength(3);
      expect((await a.daemon.docker(['rm', '-f', runs[0].stdout.trim(), runs[1].stdout.trim()])).code).toBe(0);
      expect((await a.daemon.docker(['rmi', 'hidden'])).code).toBe(0);
    });

    it("a bridge name of lab B's gives lab A its own bridge, and B's network is untouched", async () => {
      const created = await a.daemon.docker(['network', 'create', '-o', `com.docker.network.bridge.name=${b.values.chatInterface}`, 'mine']);
      expect(created.code, created.stderr).toBe(0);
      const id = created.stdout.trim();
      expect(engine('network', 'inspect', '--format', '{{index .Options "com.docker.network.bridge.name"}}', id)).toBe(a.values.chatInterface);
      expect(engine('network', 'inspect', '--format', '{{index .Options "com.docker.network.bridge.name"}}', v.networkId)).toBe(b.values.chatInterface);
      expect((await a.daemon.docker(['network', 'rm', 'mine'])).code).toBe(0);
    });

    it("a layer lab A built under its own --add-host is not reused by lab B's identical Dockerfile (build cache)", async () => {
      // --add-host and proxy build arguments are not part of the engine's cache key.
      const dockerfile = 'FROM ubuntu\nRUN (getent hosts probe.invalid || echo clean) > /result\n';
      const poisoned = await a.daemon.docker(['build', '--add-host', 'probe.invalid:10.6.6.6', '-t', 'poison', '.'], { cwd: buildFolder(a, dockerfile) });
      expect(poisoned.code, poisoned.stderr).toBe(0);
      const honest = await b.daemon.docker(['build', '-t', 'honest', '.'], { cwd: buildFolder(b, dockerfile) });
      expect(honest.code, honest.stderr).toBe(0);
      const result = await b.daemon.docker(['run', '--rm', 'honest', 'cat', '/result']);
      expect(result.stdout.trim(), result.stderr).toBe('clean');
      expect((await a.daemon.docker(['rmi', 'poison'])).code).toBe(0);
      expect((await b.daemon.docker(['rmi', 'honest'])).code).toBe(0);
    });

    it("a failing build leaves no container behind (the lab could not see nor remove it), and the layers it leaves carry the lab's labels (its teardown removes them)", async () => {
      const marker = `marker-${randomBytes(6).toString('hex')}`;
      const failed = await a.daemon.docker(['build', '.'], { cwd: buildFolder(a, `FROM ubuntu\nENV M=${marker}\nRUN echo ${marker} && false\n`) });
      expect(failed.code).not.toBe(0);
      const left = engine('ps', '-a', '--no-trunc', '--filter', 'status=exited', '--format', '{{.ID}} {{.Command}}').split('\n').filter((l) => l.includes(marker));
      for (const line of left) engine('rm', '-f', line.split(' ')[0]);
      expect(left).toEqual([]);
      // The legacy builder keeps each step's image, untagged, and the build's own labels only reach the last one.
      const layers = builtLayers(failed.stdout);
      expect(layers.length, failed.stdout).toBeGreaterThanOrEqual(2); // our LABEL after FROM, then ENV
      for (const id of layers) {
        expect(engine('image', 'inspect', '--format', '{{index .Config.Labels "netlabs.lab"}} {{index .Config.Labels "netlabs.test"}}', id), id).toBe(`${a.id} ${stack.runId}`);
      }
    });

    it('a Dockerfile replaced through a symlinked folder is not what the engine builds', async () => {
      const tar = await tarOf([
        { name: 'sub', symlinkTo: '.' },
        { name: 'Dockerfile', text: 'FROM httpd\nLABEL probe=checked\n' },
        { name: 'sub/Dockerfile', text: `FROM ${v.engineImage}\nLABEL probe=smuggled\n` },
      ]);
      const reply = await a.daemon.request('POST', '/build?t=probe&rm=1&forcerm=1', { headers: { 'content-type': 'application/x-tar' }, body: tar, timeoutMs: 120_000 });
      expect(reply.status).toBe(200);
      const label = await a.daemon.docker(['image', 'inspect', '--format', '{{index .Config.Labels "probe"}}', 'probe']);
      expect(label.stdout.trim()).toBe('checked');
      expect((await a.daemon.docker(['rmi', 'probe'])).code).toBe(0);
    });
  });
});
