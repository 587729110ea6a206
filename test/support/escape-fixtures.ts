/**
 * The two labs of the escape battery and what the battery compares: lab B's real objects
 * (made through B's own daemon, as B's student would), and the engine's view of both labs
 * read straight from the engine (never through the gateway under test).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pack } from 'tar-stream';
import { labCredential } from '../../libs/gateway/credentials';
import { LabDaemon } from './lab-daemon';
import type { TestStack } from './stack';

export interface LabUnderTest {
  id: string;
  token: string;
  values: { bridgeSubnet: string; chatSubnet: string; bridgeInterface: string; chatInterface: string; httpdPort: number };
  daemon: LabDaemon;
  /** The lab's engine prefix (`nl-...`), from its bridge network's engine name. */
  prefix: string;
}

/** Lab B's objects, by the names and ids B's student sees. */
export interface VictimObjects {
  containerId: string;
  networkId: string;
  imageId: string;
  execId: string;
  /** Engine references A might try to type directly. */
  engineContainer: string;
  engineNetwork: string;
  engineImage: string;
}

/** The engine itself (the host's own client on the real socket), for the test's eyes only. */
export function engine(...args: string[]): string {
  return execFileSync('docker', args, { timeout: 30_000 }).toString().trim();
}

export async function openLab(stack: TestStack, secret: string, socket: string, workRoot: string, lab: { id: string; token: string }): Promise<LabUnderTest> {
  // The instructor's view: a student's hides the bridge values until 1b and 1c are passed.
  const got = await stack.request('GET', `/labs/${lab.id}`);
  if (got.status !== 200 || got.body.status !== 'ready') throw new Error(`lab ${lab.id} is not ready: ${JSON.stringify(got.body)}`);
  const bridge = engine('network', 'ls', '--filter', `label=netlabs.lab=${lab.id}`, '--filter', 'label=netlabs.name=bridge', '--format', '{{.Name}}');
  if (!bridge.endsWith('-bridge')) throw new Error(`lab ${lab.id} has no bridge network on the engine (${bridge})`);
  const daemon = new LabDaemon(socket, labCredential(secret, lab.id), mkdtempSync(path.join(workRoot, 'lab-')));
  return { id: lab.id, token: lab.token, values: got.body.values, daemon, prefix: bridge.slice(0, -'-bridge'.length) };
}

async function ok(daemon: LabDaemon, args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

/** B's student: a published web server, a network of their own with a container on it, an image and a running exec. */
export async function furnishVictim(b: LabUnderTest): Promise<VictimObjects> {
  await ok(b.daemon, ['run', '-d', '--name', 'web', '-p', `${b.values.httpdPort}:80`, 'httpd']);
  await ok(b.daemon, ['network', 'create', '--subnet', b.values.chatSubnet, 'privnet']);
  await ok(b.daemon, ['run', '-d', '--name', 'worker', '--net', 'privnet', 'ubuntu', 'sleep', 'infinity']);
  await ok(b.daemon, ['commit', 'web', 'bimg']);
  const exec = await b.daemon.json<{ Id: string }>('POST', '/containers/web/exec', { Cmd: ['sleep', '600'] });
  const started = await b.daemon.request('POST', `/exec/${exec.Id}/start`, { headers: { 'content-type': 'application/json' }, body: '{"Detach":true}' });
  if (started.status !== 200) throw new Error(`B's exec did not start: ${started.status} ${started.text}`);
  const containerId = await ok(b.daemon, ['inspect', '--format', '{{.Id}}', 'web']);
  return {
    containerId,
    networkId: await ok(b.daemon, ['network', 'inspect', '--format', '{{.Id}}', 'privnet']),
    imageId: await ok(b.daemon, ['image', 'inspect', '--format', '{{.Id}}', 'bimg']),
    execId: exec.Id,
    engineContainer: `${b.prefix}-web`,
    engineNetwork: `${b.prefix}-privnet`,
    engineImage: `${b.prefix}/bimg:latest`,
  };
}

/** What the engine holds for a test run, and the details of B's objects an escape would change. */
export function engineSnapshot(runId: string, victim: VictimObjects, sharedImages: string[]) {
  const label = `label=netlabs.test=${runId}`;
  const lines = (s: string) => s.split('\n').filter(Boolean).sort();
  return {
    containers: lines(engine('ps', '-a', '--no-trunc', '--filter', label, '--format', '{{.ID}} {{.Names}}')),
    networks: lines(engine('network', 'ls', '--no-trunc', '--filter', label, '--format', '{{.ID}} {{.Name}}')),
    images: lines(engine('images', '-a', '--no-trunc', '--filter', label, '--format', '{{.ID}} {{.Repository}}:{{.Tag}}')),
    shared: sharedImages.map((ref) => engine('image', 'inspect', '--format', '{{.Id}} {{json .RepoTags}}', ref)),
    victim: engine(
      'inspect',
      '--format',
      '{{.State.Running}} {{.State.StartedAt}} {{.RestartCount}} {{.HostConfig.Privileged}} {{json .HostConfig.Binds}} {{json .Mounts}} {{.HostConfig.Memory}} {{json .NetworkSettings.Networks}}',
      victim.containerId,
    ),
    victimNetwork: engine('network', 'inspect', '--format', '{{json .Containers}} {{json .Options}} {{json .IPAM}}', victim.networkId),
  };
}

/**
 * Engine events between two instants that name one of the labs (any kind), or that change
 * one of the shared images (image events only: other test runs start containers from them).
 */
export function eventsNaming(since: number, until: number, labNeedles: string[], imageNeedles: string[]): string[] {
  const out = engine('events', '--since', since.toFixed(3), '--until', until.toFixed(3), '--format', '{{json .}}');
  return out
    .split('\n')
    .filter(Boolean)
    .filter((line) => labNeedles.some((n) => line.includes(n)) || (JSON.parse(line).Type === 'image' && imageNeedles.some((n) => line.includes(n))));
}

/** A build folder with this Dockerfile, under the lab's own work folder. */
export function buildFolder(lab: LabUnderTest, dockerfile: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(lab.daemon.workDir, 'ctx-'));
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** A tar made entry by entry (duplicate names, symlinks), as no honest client would send it. */
export async function tarOf(entries: { name: string; text?: string; symlinkTo?: string }[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    if (e.symlinkTo !== undefined) p.entry({ name: e.name, type: 'symlink', linkname: e.symlinkTo });
    else p.entry({ name: e.name, type: 'file', mode: 0o644 }, e.text ?? '');
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}
