import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabCatalogue } from './lab-catalogue';
import type { LabDefinition } from './lab-definition';
import { LabRunner, UnknownStepError } from './lab-runner';
import { type LabFixture, labFixture } from './testing/lab-fixture';

const definition: LabDefinition = new LabCatalogue().get('docker-network')!;

describe('LabRunner', () => {
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

  const verify = (stepId: string) => sut.verifyStep(definition, stepId, fx.ctx);
  const run = (stepId: string) => sut.runStep(definition, stepId, fx.ctx);
  const messages = (result: { checks: { message: string }[] }) => result.checks.map((c) => c.message);

  describe('2a', () => {
    it('fails before run, saying how to start mon-serveur, and skips the GET that needs it', async () => {
      const result = await verify('2a');
      expect(result.passed).toBe(false);
      expect(messages(result)).toEqual([
        `container mon-serveur: not found — start it with docker run -d --name mon-serveur -p ${fx.values.httpdPort}:80 httpd`,
        'skipped: container mon-serveur not found (start it first)',
      ]);
    });

    it('passes after run: the Apache page is served on the lab host port', async () => {
      const { step, output } = await run('2a');
      expect(step).toBe('2a');
      expect(output).toContain(`$ docker run -d --name mon-serveur -p ${fx.values.httpdPort}:80 httpd:2.4`);
      expect(output).toContain('It works!');
      const result = await verify('2a');
      expect(result).toMatchObject({ step: '2a', passed: true });
      expect(result.checks[1]).toEqual({
        name: 'Apache page on the published port',
        passed: true,
        message: `http://127.0.0.1:${fx.values.httpdPort}/: answered HTTP 200 with the expected page ("It works!")`,
      });
    });

    it('converges when run twice', async () => {
      await run('2a');
      const { output } = await run('2a');
      expect(output).toContain('$ docker rm -f mon-serveur');
      expect([...fx.docker.containers.keys()]).toEqual(['mon-serveur']);
      expect((await verify('2a')).passed).toBe(true);
    });

    it('passes for a mon-serveur started another valid way', async () => {
      await fx.docker.runContainer(fx.scope, {
        name: 'mon-serveur',
        image: fx.images.httpd,
        cmd: ['httpd-foreground', '-X'],
        aliases: ['web'],
        publish: { containerPort: 80, hostPort: fx.values.httpdPort },
      });
      expect((await verify('2a')).passed).toBe(true);
    });

    it('fails with the missing half when mon-serveur runs but is not published', async () => {
      await fx.docker.runContainer(fx.scope, { name: 'mon-serveur', image: fx.images.httpd });
      const result = await verify('2a');
      expect(result.checks.map((c) => c.passed)).toEqual([true, false]);
      expect(result.checks[1].message).toBe(
        `http://127.0.0.1:${fx.values.httpdPort}/: connection refused (nothing listens on that port) — publish mon-serveur's port 80 on host port ${fx.values.httpdPort} (docker run -d --name mon-serveur -p ${fx.values.httpdPort}:80 httpd)`,
      );
    });

    it('says when mon-serveur comes from the wrong image', async () => {
      await fx.docker.runContainer(fx.scope, { name: 'mon-serveur', image: fx.images.ubuntu, tty: true });
      expect((await verify('2a')).checks[0].message).toBe('container mon-serveur: image is ubuntu:24.04, expected httpd:2.4');
    });
  });

  describe('2b', () => {
    it('fails before run, naming both containers', async () => {
      const result = await verify('2b');
      expect(result.passed).toBe(false);
      expect(messages(result)).toEqual([
        `container mon-serveur: not found — start it with docker run -d --name mon-serveur -p ${fx.values.httpdPort}:80 httpd`,
        'container container2: not found — start it with docker run -dit --name container2 --net container:mon-serveur ubuntu',
        'skipped: container container2 not found (start it first)',
        'skipped: container mon-serveur not found (start it first)',
      ]);
    });

    it('passes after run: container2 shares mon-serveur namespace and sees port 80', async () => {
      const { output } = await run('2b');
      expect(output).toContain('$ docker run -dit --name container2 --net container:mon-serveur ubuntu:24.04');
      expect(output).toContain("apt-get install -y net-tools");
      expect(output).toMatch(/\$ docker exec container2 netstat -ltn\n[\s\S]*:::80 .*LISTEN/);
      const result = await verify('2b');
      expect(result.passed).toBe(true);
      expect(result.checks[2].message).toBe('container container2: shares the network namespace of mon-serveur');
    });

    it('keeps a running mon-serveur and converges when run twice', async () => {
      await run('2b');
      const { output } = await run('2b');
      expect(output).toContain('# mon-serveur is already running: kept as it is');
      expect(output).toContain('$ docker rm -f container2');
      expect((await verify('2b')).passed).toBe(true);
    });

    it('asks for net-tools when netstat is missing', async () => {
      await run('2a');
      await fx.docker.runContainer(fx.scope, { name: 'container2', image: fx.images.ubuntu, network: 'container:mon-serveur', tty: true });
      const result = await verify('2b');
      expect(result.checks.map((c) => c.passed)).toEqual([true, true, true, false]);
      expect(result.checks[3].message).toBe('container2: netstat is not installed — install net-tools: apt-get update && apt-get install -y net-tools');
    });

    it('says when container2 has its own network instead of mon-serveur', async () => {
      await run('2a');
      await fx.docker.runContainer(fx.scope, { name: 'container2', image: fx.images.ubuntu, tty: true });
      const result = await verify('2b');
      expect(result.checks[2].message).toBe(
        "container container2: has its own network (bridge), expected to share mon-serveur's — recreate it with --net container:mon-serveur",
      );
    });
  });

  describe('2c', () => {
    it('fails before run with what to start', async () => {
      const result = await verify('2c');
      expect(result.passed).toBe(false);
      expect(messages(result)).toEqual([
        'container mon-serveur: not found — start it with docker run -d --name mon-serveur httpd',
        'skipped: container mon-serveur not found (start it first)',
        'container container1: not found — start it with docker run -dit --name container1 ubuntu',
        'skipped: container mon-serveur not found (start it first)',
        'container container2: not found — start it with docker run -dit --name container2 --link mon-serveur:serveur ubuntu',
        'skipped: container mon-serveur not found (start it first)',
      ]);
    });

    it('passes after run, starting over from the 2b state', async () => {
      await run('2b');
      const { output } = await run('2c');
      expect(output).toContain('$ docker rm -f container2 container1 mon-serveur');
      expect(output).toContain('$ docker run -dit --name container2 --link mon-serveur:serveur ubuntu:24.04');
      expect(output).toMatch(/\$ docker exec container1 curl -s http:\/\/10\.96\.4\.\d+\/\n.*It works!/);
      expect(output).toMatch(/\$ docker exec container2 curl -s http:\/\/serveur\/\n.*It works!/);
      const result = await verify('2c');
      expect(messages(result)).toEqual([
        'container mon-serveur: running (httpd:2.4)',
        'container mon-serveur: address 10.96.4.2 on network bridge',
        'container container1: running (ubuntu:24.04)',
        'container1 fetched http://10.96.4.2/ and got the expected page ("It works!")',
        'container container2: running (ubuntu:24.04)',
        'container2 fetched http://serveur/ and got the expected page ("It works!")',
      ]);
      expect(result.passed).toBe(true);
    });

    it('fails on the name half when container2 has no link', async () => {
      await run('2c');
      await fx.docker.removeContainer(fx.scope, 'container2');
      await fx.docker.runContainer(fx.scope, { name: 'container2', image: fx.images.ubuntu, tty: true });
      fx.docker.mustHave('container2').tools.add('curl');
      const result = await verify('2c');
      expect(result.checks.map((c) => c.passed)).toEqual([true, true, true, true, true, false]);
      expect(result.checks[5].message).toBe(
        'container2 could not fetch http://serveur/: curl: (6) Could not resolve host: serveur — start container2 with --link mon-serveur:serveur, on its own network (not --net container:mon-serveur)',
      );
    });

    it('asks for curl when container1 has no HTTP client', async () => {
      await run('2c');
      fx.docker.mustHave('container1').tools.clear();
      expect((await verify('2c')).checks[3].message).toBe(
        'container1: neither curl nor wget is installed — install curl in it: apt-get update && apt-get install -y curl',
      );
    });
  });

  describe('3b', () => {
    it('fails before run, saying how to create the network', async () => {
      const result = await verify('3b');
      expect(result.passed).toBe(false);
      expect(result.checks[0].message).toBe(
        'network chat: not found — create it with docker network create --subnet 10.97.3.0/24 --gateway <an address of the subnet> --ip-range <a /28 of the subnet> -o com.docker.network.bridge.name=chat5 chat',
      );
    });

    it('passes after run, and converges when run twice', async () => {
      const { output } = await run('3b');
      expect(output).toContain(
        '$ docker network create --driver bridge --subnet 10.97.3.0/24 --gateway 10.97.3.1 --ip-range 10.97.3.16/28 -o com.docker.network.bridge.name=chat5 chat',
      );
      expect(output).toContain('"Subnet": "10.97.3.0/24"');
      expect((await run('3b')).output).toContain('# network chat already exists with these settings: kept');
      const result = await verify('3b');
      expect(result.passed).toBe(true);
      expect(result.checks[0].message).toBe(
        'network chat: driver bridge, subnet 10.97.3.0/24, gateway 10.97.3.1, ip-range 10.97.3.16/28, bridge interface chat5',
      );
    });

    it('accepts another valid gateway and /28', async () => {
      fx.docker.addNetwork({ name: 'chat', subnet: '10.97.3.0/24', gateway: '10.97.3.254', ipRange: '10.97.3.32/28', bridgeName: 'chat5' });
      expect((await verify('3b')).passed).toBe(true);
    });
  });

  it('refuses an unknown step', async () => {
    await expect(run('9z')).rejects.toBeInstanceOf(UnknownStepError);
    await expect(verify('9z')).rejects.toThrow('step 9z not found in docker-network');
  });
});
