import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHAT_DRIVER_SCRIPT, TCP_PROBE_SCRIPT } from './chat-probe';
import { LabCatalogue } from './lab-catalogue';
import { DEFAULT_TIMEOUTS } from './lab-context';
import type { LabDefinition } from './lab-definition';
import { LabRunner } from './lab-runner';
import { type LabFixture, labFixture } from './testing/lab-fixture';

const definition: LabDefinition = new LabCatalogue().get('docker-network')!;
const CLIENTS = ['client1', 'client2', 'client3'];

describe('LabRunner (step 3c, the chat)', () => {
  let fx: LabFixture;
  let sut: LabRunner;

  beforeEach(async () => {
    fx = await labFixture();
    sut = new LabRunner();
  });

  afterEach(async () => {
    await fx.docker.close();
    expect(fx.docker.unexpected).toEqual([]);
  });

  const verify = () => sut.verifyStep(definition, '3c', fx.ctx);
  const run = (stepId = '3c') => sut.runStep(definition, stepId, fx.ctx);
  const messages = (result: { checks: { message: string }[] }) => result.checks.map((c) => c.message);
  const driverCalls = () => fx.docker.calls.filter((c) => c.includes(CHAT_DRIVER_SCRIPT));

  it('refuses to run before 3b, telling the student to do 3b first, and builds nothing', async () => {
    await expect(run()).rejects.toMatchObject({
      message: 'step 3c: network chat does not exist — do step 3b first (create the chat network), then run 3c again',
      output: expect.stringContaining('Error: No such network: chat'),
    });
    expect(fx.docker.built.size).toBe(0);
    expect(fx.docker.containers.size).toBe(0);
  });

  it('stops the run, with its transcript, when the server never accepts connections', async () => {
    await run('3b');
    fx.docker.onExec = (_container, cmd) => (cmd.includes(TCP_PROBE_SCRIPT) ? { stdout: 'refused\n', stderr: '', exitCode: 4, timedOut: false } : undefined);
    await expect(run()).rejects.toMatchObject({
      message: 'step 3c: chat_serveur:5000 did not accept connections from client1 within 1 s (connection refused)',
      output: expect.stringContaining('# chat_serveur:5000 does not accept connections from client1: connection refused'),
    });
  });

  it('fails before run with how to start each container, and skips what needs them', async () => {
    await run('3b');
    const result = await verify();
    expect(result.passed).toBe(false);
    expect(messages(result)).toEqual([
      'server chat_serveur: not found — start it with docker run -d --name chat_serveur --net chat mypython2 python3 /home/chat/serveur.py',
      'client client1: not found — start it with docker run -dit --name client1 --net chat mypython2',
      'client client2: not found — start it with docker run -dit --name client2 --net chat mypython2',
      'client client3: not found — start it with docker run -dit --name client3 --net chat mypython2',
      'skipped: container chat_serveur not found (start it first)',
      'skipped: container chat_serveur not found (start it first)',
    ]);
  });

  it('run builds mypython2 from its recipe, starts the server and three ready clients; verify passes through the server', async () => {
    await run('3b');
    const { output } = await run();
    expect(fx.docker.built.get(fx.images.mypython2)).toEqual({ contextDir: '/srv/netlabs/chat', buildArgs: { BASE_IMAGE: 'ubuntu:24.04' } });
    expect(output).toContain('$ docker build -t mypython2 --build-arg BASE_IMAGE=ubuntu:24.04 ./chat\n');
    expect(output).toContain(`# mypython2 is ${fx.images.mypython2} on this Docker host: built once, shared by every lab on it`);
    expect(output).toContain(`$ docker run -d --name chat_serveur --net chat ${fx.images.mypython2} python3 /home/chat/serveur.py`);
    expect(output).toContain('"IPAddress": "10.97.3.16"');
    for (const name of CLIENTS) expect(output).toContain(`$ docker run -dit --name ${name} --net chat ${fx.images.mypython2}\n`);
    expect(output).toContain('# chat_serveur:5000 accepts connections (checked from client1)');
    expect(output).toContain('python3 /home/chat/client.py chat_serveur <nickname>');
    // The clients keep a shell for the student's terminal; only the server runs a program.
    for (const name of CLIENTS) expect(fx.docker.mustHave(name).spec).toMatchObject({ tty: true, openStdin: true, network: 'chat' });
    expect(fx.docker.mustHave('client1').spec.cmd).toBeUndefined();

    const result = await verify();
    expect(messages(result)).toEqual([
      'server chat_serveur: running on chat at 10.97.3.16 (inside the ip-range 10.97.3.16/28)',
      'client client1: running on chat at 10.97.3.17 (inside the ip-range 10.97.3.16/28)',
      'client client2: running on chat at 10.97.3.18 (inside the ip-range 10.97.3.16/28)',
      'client client3: running on chat at 10.97.3.19 (inside the ip-range 10.97.3.16/28)',
      'chat_serveur: the chat server accepts connections on chat_serveur:5000 (from client1)',
      'a line typed in client1 reached client2 and client3 through chat_serveur:5000',
    ]);
    expect(result.passed).toBe(true);
    // The receivers and the sender are real client runs in the three containers, all at once.
    expect(driverCalls().map((c) => c.split(' ')[1])).toEqual(['client1', 'client2', 'client3']);
  });

  it("gives the sender's exec as long as the receivers' (an engine slow to start it does not cut a working sender), each ending before the check's deadline", async () => {
    await run('3b');
    await run();
    const limits = new Map<string, number | undefined>();
    fx.docker.onExec = (container, cmd, options) => void (cmd.includes(CHAT_DRIVER_SCRIPT) && limits.set(container, options?.timeoutMs));
    expect((await verify()).passed).toBe(true);
    // 5 s for the receivers to join, 5 s for the line, 3 s to start python3 and hang up.
    expect(Object.fromEntries(limits)).toEqual({ client1: 13_000, client2: 13_000, client3: 13_000 });
    expect(13_000).toBeLessThan(DEFAULT_TIMEOUTS.checkMs);
  });

  it('converges when run twice: the image is built once, the containers recreated', async () => {
    await run('3b');
    await run();
    const { output } = await run();
    // Each run asks for the image five times (the build, then each docker run): one build.
    expect(fx.docker.calls.filter((c) => c.startsWith('buildImage'))).toHaveLength(10);
    expect(fx.docker.built.size).toBe(1);
    expect(output).toContain('$ docker rm -f chat_serveur');
    expect([...fx.docker.containers.keys()].sort()).toEqual(['chat_serveur', ...CLIENTS]);
    expect((await verify()).passed).toBe(true);
  });

  it('names a stopped client, and skips the relay that needs it', async () => {
    await run('3b');
    await run();
    await fx.docker.kill('client2', 137);
    const result = await verify();
    expect(result.passed).toBe(false);
    expect(result.checks.map((c) => c.passed)).toEqual([true, true, false, true, true, false]);
    expect(result.checks[2].message).toBe('client client2: not running (exited (code 137)) — start it with docker start client2');
    expect(result.checks[5].message).toBe('skipped: container client2 is exited (code 137), not running');
  });

  it('says the server is not reachable when chat_serveur is stopped', async () => {
    await run('3b');
    await run();
    await fx.docker.stopContainer(fx.scope, 'chat_serveur');
    const result = await verify();
    expect(result.checks.map((c) => c.passed)).toEqual([false, true, true, true, false, false]);
    expect(result.checks[0].message).toBe('server chat_serveur: not running (exited (code 0)) — start it with docker start chat_serveur');
    expect(result.checks[4].message).toBe(
      'chat_serveur: the chat server is not reachable on chat_serveur:5000 (container chat_serveur is exited (code 0) — start it with docker start chat_serveur)',
    );
    expect(result.checks[5].message).toBe('skipped: container chat_serveur is exited (code 0), not running');
  });

  it('says connection refused when chat_serveur runs without the server, and the clients cannot connect', async () => {
    await run('3b');
    await run();
    await fx.docker.removeContainer(fx.scope, 'chat_serveur');
    await fx.docker.runContainer(fx.scope, { name: 'chat_serveur', image: fx.images.mypython2, network: 'chat', tty: true });
    const result = await verify();
    expect(result.checks[0].passed).toBe(true);
    expect(result.checks[4].message).toBe(
      'chat_serveur: the chat server is not reachable on chat_serveur:5000 (connection refused, from client1 — is serveur.py running in chat_serveur (python3 /home/chat/serveur.py)?)',
    );
    expect(result.checks[5].message).toBe(
      [
        'client1 could not connect to the chat server chat_serveur:5000: Connection refused',
        'client2 could not connect to the chat server chat_serveur:5000: Connection refused',
        'client3 could not connect to the chat server chat_serveur:5000: Connection refused',
      ].join('; '),
    );
  });

  it('names a client on the wrong network, and the relay blames it rather than the waiting sender', async () => {
    await run('3b');
    await run();
    await fx.docker.removeContainer(fx.scope, 'client3');
    await fx.docker.runContainer(fx.scope, { name: 'client3', image: fx.images.mypython2, tty: true });
    const result = await verify();
    expect(result.checks[3].message).toBe('client client3: not on network chat (it is on bridge) — recreate it with docker run -dit --name client3 --net chat mypython2');
    expect(result.checks[5].message).toBe('client3 could not connect to the chat server chat_serveur:5000: Name or service not known');
  });

  it('says which client a line did not reach', async () => {
    await run('3b');
    await run();
    // client3's chat client joins, but the server never relays the line to it.
    fx.docker.onExec = (container, cmd) => {
      if (container !== 'client3' || !cmd.includes(CHAT_DRIVER_SCRIPT)) return undefined;
      const waitsForAnotherLine = cmd.map((arg, i) => (i === 8 ? 'a-line-nobody-sends' : arg));
      return fx.docker.chat.exec(container, waitsForAnotherLine);
    };
    const result = await verify();
    expect(result.checks[5]).toMatchObject({ passed: false, message: 'message from client1 did not reach client3 within 5 s' });
  });

  it('says when a client container has no python3 (not the mypython2 image)', async () => {
    await run('3b');
    await run();
    await fx.docker.removeContainer(fx.scope, 'client2');
    await fx.docker.runContainer(fx.scope, { name: 'client2', image: fx.images.ubuntu, network: 'chat', tty: true });
    const result = await verify();
    expect(result.checks[2].passed).toBe(true); // running on chat: the image is not what is graded
    expect(result.checks[5].message).toBe('client2: python3 is not installed there — start the clients from the mypython2 image');
  });

  it('says when an address is outside the network ip-range', async () => {
    await run('3b');
    await run();
    await fx.docker.removeContainer(fx.scope, 'client1');
    await fx.docker.runContainer(fx.scope, { name: 'client1', image: fx.images.mypython2, network: 'chat', tty: true, ipv4: '10.97.3.200' });
    const result = await verify();
    expect(result.checks[1].message).toBe("client client1: address 10.97.3.200 on chat is outside the network's ip-range 10.97.3.16/28");
    expect(result.checks[5].passed).toBe(true);
  });

  it('fails a relay whose chat client hangs at the check deadline, and still reports the other checks', async () => {
    await run('3b');
    await run();
    fx.docker.onExec = (container, cmd) => (container === 'client2' && cmd.includes(CHAT_DRIVER_SCRIPT) ? 'hang' : undefined);
    const result = await verify();
    expect(result.checks.slice(0, 5).every((c) => c.passed)).toBe(true);
    expect(result.checks[5]).toMatchObject({ passed: false, message: 'message from client1: no result within 3 s' });
  });
});
