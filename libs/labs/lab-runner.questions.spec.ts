import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabCatalogue } from './lab-catalogue';
import { LabRunner } from './lab-runner';
import { type LabFixture, labFixture } from './testing/lab-fixture';

const definition = new LabCatalogue().get('docker-network')!;

describe('LabRunner (question steps)', () => {
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

  const answer = async (stepId: string, value: unknown) => {
    const result = await sut.verifyStep(definition, stepId, fx.ctx, value);
    return { passed: result.passed, message: result.checks[0].message };
  };

  describe('validateAnswer', () => {
    it.each([
      ['1a', undefined, 'answer is required for step 1a'],
      ['1b', '   ', 'answer is required for step 1b'],
      ['1b', 24, 'answer must be a string'],
      ['1c', ['nlb4'], 'answer must be a string'],
      ['1a', [1, 2], 'answer must be a string or an array of strings'],
      ['1a', [], 'answer is required for step 1a'],
      ['1a', { names: 'bridge' }, 'answer must be a string or an array of strings'],
      ['3a', 'x'.repeat(501), 'answer must be at most 500 characters'],
      ['9z', 'x', 'step 9z not found in docker-network'],
    ])('step %s, answer %j: %s', (stepId, value, message) => {
      expect(sut.validateAnswer(definition, stepId, value)).toBe(message);
    });

    it.each([
      ['1a', 'bridge, host none'],
      ['1a', ['bridge', 'host', 'none']],
      ['1b', '10.96.4.0/24'],
      ['2a', undefined],
      ['2a', 'ignored on a task step'],
    ])('step %s accepts %j', (stepId, value) => {
      expect(sut.validateAnswer(definition, stepId, value)).toBeNull();
    });
  });

  describe('1a: the networks a lab starts with', () => {
    it('runs as the lab view of docker network ls: its bridge, host and none', async () => {
      const { output } = await sut.runStep(definition, '1a', fx.ctx);
      const rows = output.split('\n').slice(2).map((line) => line.split(/\s+/)[1]);
      expect(output.split('\n')[0]).toBe('$ docker network ls');
      expect(rows).toEqual(['bridge', 'host', 'none']);
      expect(output).toContain(fx.docker.networks.get('bridge')!.id.slice(0, 12));
    });

    it('fails without an answer', async () => {
      expect(await answer('1a', undefined)).toEqual({ passed: false, message: 'answer is required for step 1a' });
    });

    it.each(['bridge host none', 'None, HOST , bridge', ['host', 'bridge', 'none']])('accepts %j', async (value) => {
      expect((await answer('1a', value)).passed).toBe(true);
    });

    it('says what is wrong with a list, without giving it away', async () => {
      expect(await answer('1a', 'bridge host')).toEqual({
        passed: false,
        message: '1 network is missing from your list: compare with what docker network ls lists',
      });
      expect((await answer('1a', 'bridge host none overlay')).message).toBe(
        'overlay is not a network your lab starts with: compare with what docker network ls lists',
      );
    });

    it('also accepts the full current list once chat exists', async () => {
      await sut.runStep(definition, '3b', fx.ctx);
      expect((await answer('1a', 'bridge chat host none')).passed).toBe(true);
      expect((await answer('1a', 'bridge host none')).passed).toBe(true);
    });
  });

  describe('1b: the subnet of the default bridge', () => {
    it('runs as docker network inspect bridge', async () => {
      const { output } = await sut.runStep(definition, '1b', fx.ctx);
      expect(output).toContain('$ docker network inspect bridge');
      expect(output).toContain('"Subnet": "10.96.4.0/24"');
    });

    it.each(['10.96.4.0/24', '10.96.4.0 /24', ' 10.96.4.0/24\n'])('accepts %j', async (value) => {
      expect(await answer('1b', value)).toEqual({ passed: true, message: "10.96.4.0/24 is the subnet of your lab's bridge network" });
    });

    it('refuses a host address inside the subnet, saying so', async () => {
      expect(await answer('1b', '10.96.4.1/24')).toEqual({
        passed: false,
        message: "10.96.4.1/24 is an address inside the subnet, not the subnet's network address (its host bits must be 0)",
      });
    });

    it('refuses the wrong subnet without revealing the right one', async () => {
      const { passed, message } = await answer('1b', '172.17.0.0/16');
      expect(passed).toBe(false);
      expect(message).toBe("172.17.0.0/16 is not the subnet of your lab's bridge network: look for IPAM > Config > Subnet in docker network inspect bridge");
      expect(message).not.toContain('10.96.4');
    });

    it('asks for the prefix when it is missing', async () => {
      expect((await answer('1b', '10.96.4.0')).message).toMatch(/^"10\.96\.4\.0" has no prefix length/);
    });
  });

  describe('1c: the gateway interface', () => {
    it('runs as docker network inspect bridge, showing the bridge name option', async () => {
      expect((await sut.runStep(definition, '1c', fx.ctx)).output).toContain('"com.docker.network.bridge.name": "nlb4"');
    });

    it.each(['nlb4', 'NLB4', ' nlb4 '])('accepts %j', async (value) => {
      expect((await answer('1c', value)).passed).toBe(true);
    });

    it('explains why docker0 is not the answer on a shared host, without naming the option of 3a', async () => {
      expect(await answer('1c', 'docker0')).toEqual({
        passed: false,
        message:
          "docker0 is the Docker host's default bridge, shared by everyone on this host; your lab's bridge network has its own interface: look at the Options that docker network inspect bridge shows",
      });
      expect((await answer('1c', 'eth0')).message).not.toContain('com.docker.network.bridge.name');
    });

    it('says it in French when the lab is in French, check name included', async () => {
      const result = await sut.verifyStep(definition, '1c', fx.ctx, 'eth0', 'fr');
      expect(result.checks).toEqual([
        {
          name: 'interface passerelle du réseau bridge',
          passed: false,
          message: "« eth0 » n’est pas l’interface du réseau bridge de votre lab : regardez les Options que montre docker network inspect bridge",
        },
      ]);
    });
  });

  describe('3a: the option that names the bridge', () => {
    it('runs as docker network create --help', async () => {
      const { output } = await sut.runStep(definition, '3a', fx.ctx);
      expect(output).toMatch(/^\$ docker network create --help\nUsage: {2}docker network create \[OPTIONS\] NETWORK/);
    });

    it.each(['com.docker.network.bridge.name', '-o com.docker.network.bridge.name=chat0', '--opt com.docker.network.bridge.name'])('accepts %j', async (value) => {
      expect((await answer('3a', value)).passed).toBe(true);
    });

    it('refuses another option', async () => {
      expect(await answer('3a', '--subnet')).toEqual({
        passed: false,
        message: '"--subnet" does not name the bridge interface: look for the bridge driver options in docker network create --help (they are given with -o)',
      });
    });
  });
});
