import { afterEach, describe, expect, it } from 'vitest';
import { DockerLayerError } from '../docker/tenant-docker';
import { LabCatalogue } from './lab-catalogue';
import { LabRunner, StepRunError } from './lab-runner';
import { type LabFixture, labFixture } from './testing/lab-fixture';

const definition = new LabCatalogue().get('docker-network')!;

describe('LabRunner (broken states, hangs and failures)', () => {
  let fx: LabFixture;
  const sut = new LabRunner();

  afterEach(async () => {
    await fx.docker.close();
    expect(fx.docker.unexpected).toEqual([]);
  });

  it('reports each wrong setting of a chat network recreated by hand', async () => {
    fx = await labFixture();
    await sut.runStep(definition, '3b', fx.ctx);
    fx.docker.networks.delete('chat');
    fx.docker.addNetwork({ name: 'chat', subnet: '10.97.3.0/25', gateway: '10.97.3.0', ipRange: '10.97.3.0/27', bridgeName: 'br-chat' });
    const result = await sut.verifyStep(definition, '3b', fx.ctx);
    expect(result.passed).toBe(false);
    expect(result.checks[0].message).toBe(
      'network chat: subnet is 10.97.3.0/25, expected 10.97.3.0/24; ' +
        'gateway 10.97.3.0 is not a usable address of 10.97.3.0/24 (not its network or broadcast address); ' +
        'ip-range is 10.97.3.0/27 (30 usable addresses), expected a /28 inside 10.97.3.0/24 (14 client addresses); ' +
        'bridge interface is br-chat, expected chat5 (-o com.docker.network.bridge.name=chat5)',
    );
  });

  it('says when the chat network has no ip-range, and running the step repairs it', async () => {
    fx = await labFixture();
    fx.docker.addNetwork({ name: 'chat', subnet: '10.97.3.0/24', gateway: '10.97.3.1', bridgeName: 'chat5' });
    await fx.docker.runContainer(fx.scope, { name: 'client1', image: fx.images.ubuntu, network: 'chat', tty: true });
    expect((await sut.verifyStep(definition, '3b', fx.ctx)).checks[0].message).toBe(
      'network chat: has no ip-range, expected a /28 inside 10.97.3.0/24 (14 client addresses) (--ip-range)',
    );
    const { output } = await sut.runStep(definition, '3b', fx.ctx);
    expect(output).toContain('$ docker rm -f client1\nclient1\n\n$ docker network rm chat');
    expect((await sut.verifyStep(definition, '3b', fx.ctx)).passed).toBe(true);
  });

  it('says mon-serveur stopped, and skips the GET that needs it', async () => {
    fx = await labFixture();
    await sut.runStep(definition, '2a', fx.ctx);
    await fx.docker.kill('mon-serveur', 137);
    const result = await sut.verifyStep(definition, '2a', fx.ctx);
    expect(result.checks).toEqual([
      {
        name: 'container mon-serveur running (httpd)',
        passed: false,
        message: 'container mon-serveur: exited (code 137), expected running — start it again (docker start mon-serveur) or recreate it',
      },
      { name: 'Apache page on the published port', passed: false, message: 'skipped: container mon-serveur is exited (code 137), not running' },
    ]);
  });

  it('fails a GET to a server that never answers, after its timeout', async () => {
    fx = await labFixture({ http: 'hang' });
    await fx.docker.runContainer(fx.scope, { name: 'mon-serveur', image: fx.images.httpd, publish: { containerPort: 80, hostPort: fx.values.httpdPort } });
    const started = Date.now();
    const result = await sut.verifyStep(definition, '2a', fx.ctx);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(result.checks[1].passed).toBe(false);
    expect(result.checks[1].message).toMatch(new RegExp(`^http://127.0.0.1:${fx.values.httpdPort}/: timed out, no answer within 1 s — publish`));
  });

  it('fails a command that hangs at the check deadline, and still runs the other checks', async () => {
    fx = await labFixture();
    await sut.runStep(definition, '2b', fx.ctx);
    fx.docker.onExec = (_container, cmd) => (cmd.join(' ').includes('netstat') ? 'hang' : undefined);
    const ctx = { ...fx.ctx, timeouts: { ...fx.ctx.timeouts, checkMs: 300 } };
    const result = await sut.verifyStep(definition, '2b', ctx);
    expect(result.checks.map((c) => c.passed)).toEqual([true, true, true, false]);
    expect(result.checks[3].message).toBe('container2: `netstat -ltn` timed out, still running after 300 ms');
  });

  it('lets an unreachable engine fail the job instead of recording a failed attempt', async () => {
    fx = await labFixture();
    fx.docker.inspectNetwork = async () => {
      throw new DockerLayerError('unreachable', 'the Docker engine does not answer');
    };
    await expect(sut.verifyStep(definition, '3b', fx.ctx)).rejects.toThrow('the Docker engine does not answer');
  });

  it('stops a run at the failing action, with the transcript so far', async () => {
    fx = await labFixture();
    const ctx = { ...fx.ctx, images: { ...fx.images, ubuntu: 'ubuntu:not-on-this-host' } };
    const error = await sut.runStep(definition, '2b', ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepRunError);
    expect((error as StepRunError).message).toBe('step 2b: run: image ubuntu:not-on-this-host is not on the host');
    expect((error as StepRunError).output).toMatch(/^\$ docker run -d --name mon-serveur .*\n[0-9a-f]{12}\nError: image ubuntu:not-on-this-host is not on the host$/);
  });

  it('stops a run whose command hangs, at the action deadline', async () => {
    fx = await labFixture();
    fx.docker.onExec = (_container, cmd) => (cmd[0] === 'netstat' ? 'hang' : undefined);
    const ctx = { ...fx.ctx, timeouts: { ...fx.ctx.timeouts, actionMs: 200 } };
    const error = await sut.runStep(definition, '2b', ctx).catch((e: unknown) => e);
    expect((error as StepRunError).message).toBe('step 2b: exec did not finish within 200 ms');
    expect((error as StepRunError).output).toMatch(/\$ docker exec container2 netstat -ltn\n\(no result after 200 ms: stopped waiting\)$/);
  });

  it('stops a run when a command in a container fails, showing its output', async () => {
    fx = await labFixture();
    fx.docker.onExec = (_container, cmd) =>
      cmd.join(' ').includes('apt-get') ? { stdout: '', stderr: 'E: Unable to locate package net-tools', exitCode: 100, timedOut: false } : undefined;
    const error = await sut.runStep(definition, '2b', fx.ctx).catch((e: unknown) => e);
    expect((error as StepRunError).message).toBe(
      "step 2b: docker exec container2 sh -c 'command -v netstat >/dev/null || (apt-get update && apt-get install -y net-tools)': exited with code 100",
    );
    expect((error as StepRunError).output).toMatch(/E: Unable to locate package net-tools$/);
  });
});
