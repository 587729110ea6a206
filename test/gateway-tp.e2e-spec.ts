/**
 * Two students type the whole TP (1a to 3c) with the real docker CLI at their own lab
 * daemons, at the same time, on one engine: the commands of the TP, with the lab's
 * values, `run -it` and `exec -it` under a pty. After each step, verify passes on what
 * they made themselves (no call to `run`), and neither ever sees the other's objects.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabCli } from './support/lab-cli';
import { TestStack } from './support/stack';
import { waitFor } from './support/wait-for';

type Lab = { id: string; token: string; values: Record<string, any> };

const socketDir = mkdtempSync(path.join(tmpdir(), 'nl-gw-'));
const socketPath = path.join(socketDir, 'gateway.sock');

describe('the lab daemon: students type the TP with the real docker CLI', () => {
  const stack = new TestStack({ GATEWAY_SOCKET: socketPath, STEP_WAIT_MS: '120000' });
  let labs: Lab[];
  const clis: LabCli[] = [];

  beforeAll(async () => {
    await stack.start();
    const created = await stack.createClassAndWait(['ana', 'ben'], 'gateway TP e2e');
    labs = await Promise.all(
      created.labs.map(async (lab: { id: string; token: string }) => ({
        id: lab.id,
        token: lab.token,
        values: (await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).body.values,
      })),
    );
    for (const lab of labs) clis.push(LabCli.forLab(stack.adminToken, socketPath, lab.id));
  });

  afterAll(async () => {
    for (const cli of clis) cli.dispose();
    await stack.stop();
    rmSync(socketDir, { recursive: true, force: true });
  });

  async function verify(lab: Lab, step: string, answer?: unknown): Promise<void> {
    const res = await stack.request('POST', `/labs/${lab.id}/steps/${step}/verify`, answer === undefined ? {} : { answer }, lab.token);
    const failed = (res.body.checks ?? []).filter((c: { passed: boolean }) => !c.passed).map((c: { message: string }) => c.message);
    expect({ step, status: res.status, passed: res.body.passed, failed }).toEqual({ step, status: 200, passed: true, failed: [] });
  }

  /** One student's whole TP, as typed at their console. */
  async function student(lab: Lab, cli: LabCli, nick: string): Promise<void> {
    const port = String(lab.values.httpdPort);

    // 1a: the networks a daemon starts with.
    const networks = await cli.ok(['network', 'ls', '--format', '{{.Name}}']);
    expect(networks.trim().split('\n').sort()).toEqual(['bridge', 'host', 'none']);
    await verify(lab, '1a', networks.trim().split('\n').join(', '));

    // 1b, 1c: read off `docker network inspect bridge`.
    const [bridge] = JSON.parse(await cli.ok(['network', 'inspect', 'bridge']));
    expect(bridge.Name).toBe('bridge');
    await verify(lab, '1b', bridge.IPAM.Config[0].Subnet);
    await verify(lab, '1c', bridge.Options['com.docker.network.bridge.name']);

    // 2a: httpd published on the lab's port, reached from the host.
    expect(await cli.ok(['pull', 'httpd'])).toMatch(/Image is up to date for httpd:latest/);
    await cli.ok(['run', '-d', '--name', 'mon-serveur', '-p', `${port}:80`, 'httpd']);
    expect(await cli.ok(['ps', '--format', '{{.Names}} {{.Ports}}'])).toMatch(new RegExp(`mon-serveur .*:${port}->80/tcp`));
    // As a student reloads the browser until Apache has started.
    await waitFor('mon-serveur to answer on the lab port', async () => (await fetch(`http://127.0.0.1:${port}/`)).ok, { timeoutMs: 30_000 });
    await verify(lab, '2a');

    // 2b: an interactive ubuntu sharing mon-serveur's network namespace.
    await cli.ok(['pull', 'ubuntu']);
    const shell = cli.interactive(['run', '--rm', '-it', '--name', 'container2', '--net', 'container:mon-serveur', 'ubuntu']);
    await shell.waitFor(/[#$] $/m);
    shell.type('netstat -ltn | grep -c ":80 "; echo netstat-done\n');
    // The count of listening sockets, then the marker: what netstat saw is mon-serveur's port 80.
    await shell.waitFor(/[1-9]\d*\r?\nnetstat-done\r?\n/);
    await verify(lab, '2b');
    shell.type('exit 0\n');
    expect(await shell.exit()).toBe(0);
    // --rm: container2 went with its shell.
    expect(await cli.ok(['ps', '-a', '--format', '{{.Names}}'])).not.toMatch(/container2/);

    // 2c: everything removed, then a server reached by IP, and by a link alias.
    const all = (await cli.ok(['ps', '-aq'])).trim().split('\n').filter(Boolean);
    await cli.ok(['rm', '-f', ...all]);
    await cli.ok(['run', '-d', '--name', 'mon-serveur', 'httpd']);
    const ip = (await cli.ok(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'mon-serveur'])).trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await cli.ok(['run', '-dit', '--name', 'container1', 'ubuntu']);
    expect(await cli.ok(['exec', 'container1', 'curl', '-s', '-m', '5', `http://${ip}`])).toMatch(/It works!/);
    await cli.ok(['run', '-dit', '--name', 'container2', '--link', 'mon-serveur:serveur', 'ubuntu']);
    expect(await cli.ok(['exec', 'container2', 'curl', '-s', '-m', '5', 'http://serveur'])).toMatch(/It works!/);
    await verify(lab, '2c');

    // 3a: the help names the option.
    expect(await cli.ok(['network', 'create', '--help'])).toMatch(/-o, --opt map/);
    await verify(lab, '3a', '-o com.docker.network.bridge.name');

    // 3b: the chat network with the TP's own bridge name, chat0.
    const subnet: string = lab.values.chatSubnet;
    const base = subnet.split('/')[0].split('.').slice(0, 3).join('.');
    await cli.ok(['network', 'create', '--subnet', subnet, '--gateway', `${base}.1`, '--ip-range', `${base}.16/28`, '-o', 'com.docker.network.bridge.name=chat0', 'chat']);
    const [chat] = JSON.parse(await cli.ok(['network', 'inspect', 'chat']));
    expect(chat.Options['com.docker.network.bridge.name']).toBe('chat0');
    expect(chat.IPAM.Config[0]).toMatchObject({ Subnet: subnet, IPRange: `${base}.16/28` });
    await verify(lab, '3b');

    // 3c: build mypython2 from the chat folder, a server and three clients, and a chat.
    const context = mkdtempSync(path.join(tmpdir(), 'nl-chat-'));
    try {
      cpSync(path.join(__dirname, '..', 'chat'), context, { recursive: true });
      expect(await cli.ok(['build', '-t', 'mypython2', '.'], { cwd: context, timeoutMs: 300_000 })).toMatch(/Successfully tagged mypython2:latest/);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    await cli.ok(['run', '-d', '--name', 'chat_serveur', '--net', 'chat', 'mypython2', 'python3', '/home/chat/serveur.py']);
    for (const client of ['client1', 'client2', 'client3']) await cli.ok(['run', '-dit', '--name', client, '--net', 'chat', 'mypython2']);
    const alice = cli.interactive(['exec', '-it', 'client1', 'python3', '/home/chat/client.py', 'chat_serveur', `${nick}-a`]);
    const bob = cli.interactive(['exec', '-it', 'client2', 'python3', '/home/chat/client.py', 'chat_serveur', `${nick}-b`]);
    try {
      await alice.waitFor(/connect|bienvenue|welcome|>/i, 30_000);
      await bob.waitFor(/connect|bienvenue|welcome|>/i, 30_000);
      alice.type(`bonjour de ${nick}\n`);
      await bob.waitFor(new RegExp(`\\[${nick}-a\\] bonjour de ${nick}`), 30_000);
    } finally {
      alice.type('/quit\n');
      bob.type('/quit\n');
      await Promise.all([alice.exit(15_000), bob.exit(15_000)]);
    }
    await verify(lab, '3c');
  }

  it('two students do 1a-3c by hand at once, each verify passes on their own work', async () => {
    await Promise.all(labs.map((lab, i) => student(lab, clis[i], i === 0 ? 'ana' : 'ben')));

    // Same names on both sides, never the same objects.
    const ids = await Promise.all(clis.map(async (cli) => (await cli.ok(['ps', '-aq', '--no-trunc'])).trim().split('\n').sort()));
    expect(ids[0].length).toBe(7);
    expect(ids[0].filter((id) => ids[1].includes(id))).toEqual([]);
    const names = await Promise.all(clis.map(async (cli) => (await cli.ok(['ps', '-a', '--format', '{{.Names}}'])).trim().split('\n').sort()));
    expect(names[0]).toEqual(['chat_serveur', 'client1', 'client2', 'client3', 'container1', 'container2', 'mon-serveur']);
    expect(names[1]).toEqual(names[0]);
    const progress = await stack.request('GET', `/labs/${labs[0].id}`, undefined, labs[0].token);
    expect(progress.status).toBe(200);
  }, 900_000);
});
