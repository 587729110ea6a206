import { describe, expect, it } from 'vitest';
import { consoleCreateOptions, enforcedHostConfig } from './docker-specs';
import { DockerLayerError, type LabScope } from './tenant-docker';

const scope: LabScope = { labId: 'lab-1', classId: 'class-1', prefix: 'nl-3f9a2c', labels: { 'netlabs.test': 'run1' } };
const limits = { memoryMb: 256, cpus: 0.5, pids: 256, maxContainers: 8 };
const spec = {
  image: 'netlabs/console:1',
  gatewayDir: '/run/netlabs',
  env: { DOCKER_HOST: 'unix:///run/netlabs/gateway.sock', NETLABS_LAB_CREDENTIAL: 'lab-1.mac' },
  ipv4: '10.96.4.254',
};

describe('consoleCreateOptions', () => {
  it('names it <prefix>--console, hides it by role and keeps the lab labels, limits and hardening', () => {
    const sut = consoleCreateOptions(scope, spec, limits, 'nl-3f9a2c-bridge');
    expect(sut.name).toBe('nl-3f9a2c--console');
    expect(sut.Labels).toEqual({ 'netlabs.test': 'run1', 'netlabs.lab': 'lab-1', 'netlabs.class': 'class-1', 'netlabs.name': '-console', 'netlabs.role': 'console' });
    expect(sut.HostConfig).toMatchObject({ ...enforcedHostConfig(limits), Mounts: expect.any(Array), NetworkMode: 'nl-3f9a2c-bridge', Privileged: false });
    expect(sut.HostConfig?.CapDrop).toEqual(['ALL']);
    expect(sut.HostConfig?.CapAdd).not.toContain('NET_RAW');
    expect(sut.Env).toEqual(['DOCKER_HOST=unix:///run/netlabs/gateway.sock', 'NETLABS_LAB_CREDENTIAL=lab-1.mac']);
    expect(sut.NetworkingConfig?.EndpointsConfig?.['nl-3f9a2c-bridge']).toEqual({ IPAMConfig: { IPv4Address: '10.96.4.254' } });
  });

  it('mounts the gateway directory read-only and nothing else', () => {
    const sut = consoleCreateOptions(scope, spec, limits, 'nl-3f9a2c-bridge');
    expect(sut.HostConfig?.Mounts).toEqual([{ Type: 'bind', Source: '/run/netlabs', Target: '/run/netlabs', ReadOnly: true }]);
    expect(sut.HostConfig?.Binds).toEqual([]);
  });

  it('maps a public host name to the console loopback', () => {
    const sut = consoleCreateOptions(scope, { ...spec, loopbackHosts: ['labs.example.edu'] }, limits, 'nl-3f9a2c-bridge');
    expect(sut.HostConfig?.ExtraHosts).toEqual(['labs.example.edu:127.0.0.1']);
  });

  it.each([
    ['another network', { ...spec }, 'bridge'],
    ['the root directory', { ...spec, gatewayDir: '/' }, 'nl-3f9a2c-bridge'],
    ['a relative directory', { ...spec, gatewayDir: 'run/netlabs' }, 'nl-3f9a2c-bridge'],
    ['a directory climbing up', { ...spec, gatewayDir: '/run/netlabs/../../etc' }, 'nl-3f9a2c-bridge'],
    ['a bad address', { ...spec, ipv4: '10.96.4.300' }, 'nl-3f9a2c-bridge'],
    ['a bad host name', { ...spec, loopbackHosts: ['a b:1.2.3.4'] }, 'nl-3f9a2c-bridge'],
  ])('refuses %s', (_what, given, network) => {
    expect(() => consoleCreateOptions(scope, given, limits, network)).toThrow(DockerLayerError);
  });
});
