import { EngineSecrets } from '../config/engine-access';
import { describe, expect, it } from 'vitest';
import {
  assertBridgeName,
  bareAccess,
  connectionFor,
  containerCreateOptions,
  engineName,
  labelsFor,
  networkCreateOptions,
  parseNetwork,
  tpName,
  withDefaultTag,
} from './docker-specs';
import { DockerLayerError, type LabScope } from './tenant-docker';

const scope: LabScope = { labId: 'lab-1', classId: 'class-1', prefix: 'nl-3f9a2c', labels: { 'netlabs.test': 'run1' } };
const limits = { memoryMb: 256, cpus: 0.5, pids: 256, maxContainers: 8 };

function layerError(fn: () => unknown): DockerLayerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DockerLayerError);
    return err as DockerLayerError;
  }
  throw new Error('expected a DockerLayerError');
}

describe('names and labels', () => {
  it('stores TP names as <prefix>-<name> and reads them back', () => {
    expect(engineName(scope, 'mon-serveur')).toBe('nl-3f9a2c-mon-serveur');
    expect(tpName(scope.prefix, '/nl-3f9a2c-mon-serveur')).toBe('mon-serveur');
    expect(tpName(scope.prefix, 'other-thing')).toBe('other-thing');
  });

  it('labels with the lab, class and TP name, which extra labels cannot override', () => {
    const sut = labelsFor({ ...scope, labels: { 'netlabs.lab': 'someone-else', extra: 'x' } }, 'chat');
    expect(sut).toEqual({ 'netlabs.lab': 'lab-1', 'netlabs.class': 'class-1', 'netlabs.name': 'chat', extra: 'x' });
  });
});

describe('assertBridgeName', () => {
  it.each(['nlb0', 'chat12', 'a23456789012345', 'br_lab-1.x'])('accepts %s', (name) => {
    expect(() => assertBridgeName(name)).not.toThrow();
  });

  it.each(['', 'a234567890123456', 'br/0', 'br 0', 'br:0', '-br', 'é'])('refuses "%s" as forbidden', (name) => {
    expect(layerError(() => assertBridgeName(name)).kind).toBe('forbidden');
  });
});

describe('networkCreateOptions', () => {
  it('asks for a labelled bridge with the lab subnet, gateway, ip-range and interface name', () => {
    const sut = networkCreateOptions(scope, { name: 'chat', subnet: '10.96.3.0/24', gateway: '10.96.3.1', ipRange: '10.96.3.128/25', bridgeName: 'chat3' });
    expect(sut).toEqual({
      Name: 'nl-3f9a2c-chat',
      CheckDuplicate: true,
      Driver: 'bridge',
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.96.3.0/24', Gateway: '10.96.3.1', IPRange: '10.96.3.128/25' }] },
      Options: {
        'com.docker.network.bridge.name': 'chat3',
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
      },
      Labels: { 'netlabs.test': 'run1', 'netlabs.lab': 'lab-1', 'netlabs.class': 'class-1', 'netlabs.name': 'chat' },
    });
  });

  it('leaves out a gateway and ip-range nobody asked for', () => {
    const sut = networkCreateOptions(scope, { name: 'bridge', subnet: '10.96.0.0/24', bridgeName: 'nlb0' });
    expect(sut.IPAM?.Config).toEqual([{ Subnet: '10.96.0.0/24' }]);
  });

  it.each([
    [{ bridgeName: 'much-too-long-name' }, /bridge name/],
    [{ subnet: '10.96.0.0' }, /subnet/],
    [{ subnet: '10.96.0.0/33' }, /subnet/],
    [{ gateway: '10.96.0.1/24' }, /gateway/],
    [{ ipRange: '300.1.1.0/25' }, /ip-range/],
    [{ name: 'host' }, /reserved/],
    [{ name: '../x' }, /network name/],
  ])('refuses %o', (override, message) => {
    const err = layerError(() => networkCreateOptions(scope, { name: 'chat', subnet: '10.96.3.0/24', bridgeName: 'chat3', ...override }));
    expect(err.kind).toBe('forbidden');
    expect(err.message).toMatch(message);
  });
});

describe('parseNetwork', () => {
  it('defaults to the lab bridge and understands container:<name>', () => {
    expect(parseNetwork({})).toEqual({ kind: 'network', name: 'bridge' });
    expect(parseNetwork({ network: 'chat' })).toEqual({ kind: 'network', name: 'chat' });
    expect(parseNetwork({ network: 'container:container1' })).toEqual({ kind: 'container', name: 'container1' });
  });

  it.each(['host', 'none'])('refuses the engine network %s', (network) => {
    const err = layerError(() => parseNetwork({ network }));
    expect(err.kind).toBe('forbidden');
    expect(err.message).toContain(network);
  });
});

describe('containerCreateOptions', () => {
  const onBridge = { networkMode: 'nl-3f9a2c-bridge' };

  it('applies the lab limits, labels and safety settings', () => {
    const sut = containerCreateOptions(scope, { name: 'mon-serveur', image: 'httpd:2.4' }, limits, onBridge);
    expect(sut).toMatchObject({
      name: 'nl-3f9a2c-mon-serveur',
      Image: 'httpd:2.4',
      Labels: { 'netlabs.lab': 'lab-1', 'netlabs.class': 'class-1', 'netlabs.name': 'mon-serveur', 'netlabs.test': 'run1' },
      Tty: false,
      OpenStdin: false,
      HostConfig: {
        NetworkMode: 'nl-3f9a2c-bridge',
        Memory: 256 * 1024 * 1024,
        MemorySwap: 256 * 1024 * 1024,
        NanoCpus: 500_000_000,
        PidsLimit: 256,
        Privileged: false,
        SecurityOpt: ['no-new-privileges'],
        CapDrop: ['ALL'],
        Init: true,
        RestartPolicy: { Name: 'unless-stopped' },
        LogConfig: { Type: 'json-file' },
        Binds: [],
        Mounts: [],
      },
      NetworkingConfig: { EndpointsConfig: { 'nl-3f9a2c-bridge': { Aliases: ['mon-serveur'] } } },
    });
    expect(sut.HostConfig?.PortBindings).toBeUndefined();
  });

  it('publishes on the configured host address only', () => {
    const spec = { name: 'mon-serveur', image: 'httpd:2.4', publish: { containerPort: 80, hostPort: 20001 } };
    const sut = containerCreateOptions(scope, spec, { ...limits, publishAddress: '192.0.2.7' }, onBridge);
    expect(sut.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostIp: '192.0.2.7', HostPort: '20001' }] });
  });

  it('publishes on all host addresses when none is configured, adds aliases, links, a fixed address, command, env and tty', () => {
    const sut = containerCreateOptions(
      scope,
      {
        name: 'client1',
        image: 'ubuntu:24.04',
        aliases: ['c1', 'client1'],
        links: [{ container: 'chat_serveur', alias: 'serveur' }],
        publish: { containerPort: 80, hostPort: 20001 },
        cmd: ['bash'],
        env: { A: '1' },
        tty: true,
        openStdin: true,
        workingDir: '/root',
        ipv4: '10.96.3.10',
      },
      limits,
      { networkMode: 'nl-3f9a2c-chat', linkEngineNames: ['nl-3f9a2c-chat_serveur'] },
    );
    expect(sut.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(sut.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '20001' }] });
    expect(sut.NetworkingConfig?.EndpointsConfig?.['nl-3f9a2c-chat']).toEqual({
      Aliases: ['client1', 'c1'],
      Links: ['nl-3f9a2c-chat_serveur:serveur'],
      IPAMConfig: { IPv4Address: '10.96.3.10' },
    });
    expect(sut).toMatchObject({ Cmd: ['bash'], Env: ['A=1'], Tty: true, OpenStdin: true, WorkingDir: '/root' });
  });

  it('joins another namespace without endpoint settings', () => {
    const sut = containerCreateOptions(scope, { name: 'container2', image: 'ubuntu:24.04' }, limits, { networkMode: `container:${'a'.repeat(64)}` });
    expect(sut.HostConfig?.NetworkMode).toBe(`container:${'a'.repeat(64)}`);
    expect(sut.NetworkingConfig).toBeUndefined();
  });

  it('refuses options Docker cannot combine with a shared namespace', () => {
    const err = layerError(() =>
      containerCreateOptions(scope, { name: 'c2', image: 'x', publish: { containerPort: 80, hostPort: 1 } }, limits, { networkMode: `container:${'b'.repeat(64)}` }),
    );
    expect(err.kind).toBe('forbidden');
    expect(err.message).toMatch(/port publishing/);
  });

  it.each(['host', 'bridge', 'none', 'other-lab-bridge', 'container:mon-serveur'])('never lets network mode %s through', (networkMode) => {
    expect(layerError(() => containerCreateOptions(scope, { name: 'x', image: 'x' }, limits, { networkMode })).kind).toBe('forbidden');
  });
});

describe('withDefaultTag', () => {
  it.each([
    ['httpd', 'httpd:latest'],
    ['httpd:2.4', 'httpd:2.4'],
    ['localhost:5000/httpd', 'localhost:5000/httpd:latest'],
    ['localhost:5000/httpd:2.4', 'localhost:5000/httpd:2.4'],
    ['httpd@sha256:abc', 'httpd@sha256:abc'],
  ])('%s -> %s', (ref, expected) => {
    expect(withDefaultTag(ref)).toBe(expected);
  });
});

describe('connectionFor', () => {
  const tls = new EngineSecrets({ 'ca.pem': Buffer.from('CA'), 'cert.pem': Buffer.from('CERT'), 'key.pem': Buffer.from('KEY') });

  it('understands unix sockets and bare tcp endpoints', () => {
    expect(connectionFor(bareAccess('unix:///var/run/docker.sock'))).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(connectionFor(bareAccess('tcp://10.0.0.5:2375'))).toEqual({ host: '10.0.0.5', port: 2375, protocol: 'http' });
  });

  it('speaks https with the host CA, client certificate and key for a tcp host with certificates', () => {
    expect(connectionFor({ kind: 'tcp', host: '10.0.0.5', port: 2376, tls })).toEqual({
      host: '10.0.0.5',
      port: 2376,
      protocol: 'https',
      ca: Buffer.from('CA'),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
    });
  });

  it('gives docker-modem protocol ssh with our key and a verifier that accepts only the pinned host key', () => {
    const hostKey = Buffer.from('ssh-ed25519-host-key-blob-of-the-engine-machine');
    // The pinned line as ssh-keygen writes it: type, base64 of the key blob, comment.
    const line = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), hostKey]).toString('base64')} root@c`;
    const pinned = new EngineSecrets({ 'ssh-key': Buffer.from('PRIVATE'), 'ssh-host-key.pub': Buffer.from(line) });
    const options = connectionFor({ kind: 'ssh', host: 'c.example.org', port: 2222, username: 'netlabs', secrets: pinned }) as any;
    expect(options).toMatchObject({ host: 'c.example.org', port: 2222, protocol: 'ssh', username: 'netlabs', sshOptions: { privateKey: Buffer.from('PRIVATE') } });
    const blob = Buffer.from(line.split(' ')[1], 'base64');
    expect(options.sshOptions.hostVerifier(blob)).toBe(true);
    expect(options.sshOptions.hostVerifier(Buffer.concat([blob, Buffer.from([0])]))).toBe(false);
    expect(options.sshOptions.hostVerifier('a hex string')).toBe(false);
  });

  it('uses the SSH agent when no key file is given', () => {
    const previous = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = '/run/agent.sock';
    try {
      const line = `ssh-ed25519 ${Buffer.alloc(51, 7).toString('base64')}`;
      const options = connectionFor({ kind: 'ssh', host: 'c', port: 22, username: 'u', secrets: new EngineSecrets({ 'ssh-host-key.pub': Buffer.from(line) }) }) as any;
      expect(options.sshOptions.agent).toBe('/run/agent.sock');
      expect(options.sshOptions.privateKey).toBeUndefined();
    } finally {
      if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = previous;
    }
  });

  it('refuses an ssh endpoint without its credentials from the configuration', () => {
    expect(layerError(() => bareAccess('ssh://host')).kind).toBe('unreachable');
  });
});
