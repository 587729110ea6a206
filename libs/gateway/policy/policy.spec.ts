import { describe, expect, it } from 'vitest';
import type { GatewayLab, GatewaySettings } from '../gateway-lab';
import { Refusal } from '../refusal';
import { planContainerCreate, type CreateLookups } from './container-create';
import { rewriteDockerfile } from './dockerfile';
import { ImageNames, parseImageRef } from './image-refs';
import { planNetworkCreate } from './network-create';

const lab: GatewayLab = {
  labId: '11111111-1111-1111-1111-111111111111',
  hostId: 'local',
  scope: { labId: '11111111-1111-1111-1111-111111111111', classId: 'c', prefix: 'nl-abc123', labels: { 'netlabs.deployment': 'd' } },
  values: {
    bridgeSubnet: '10.96.4.0/24',
    bridgeGateway: '10.96.4.1',
    bridgeInterface: 'nlb24580',
    chatSubnet: '10.96.5.0/24',
    chatInterface: 'chat24581',
    httpdPort: 20001,
    publicHost: '127.0.0.1',
  },
};
const settings: GatewaySettings = {
  sharedImages: { httpd: 'netlabs-local/httpd:2.4', ubuntu: 'netlabs-local/ubuntu:24.04' },
  limits: { memoryMb: 256, cpus: 0.5, pids: 256, maxContainers: 8 },
  maxImages: 5,
  publishAddress: '0.0.0.0',
};
const images = new ImageNames(lab, settings);
const lookups: CreateLookups = {
  container: async (ref) => {
    if (ref !== 'mon-serveur') throw new Refusal(404, `No such container: ${ref}`);
    return { id: 'a'.repeat(64), engineName: 'nl-abc123-mon-serveur' };
  },
  network: async (ref) => {
    if (ref === 'bridge') return { engineRef: 'nl-abc123-bridge', name: 'bridge', engine: false };
    if (ref === 'host' || ref === 'none') return { engineRef: ref, name: ref, engine: true };
    throw new Refusal(404, `network ${ref} not found`);
  },
  image: (ref) => images.engineRef(ref),
};
const create = (body: Record<string, unknown>, name = 'web') => planContainerCreate(body, name, lab, settings, lookups);
const refused = async (p: Promise<unknown>, message: RegExp) => {
  await expect(p).rejects.toBeInstanceOf(Refusal);
  await expect(p).rejects.toThrow(message);
};

describe('container create policy', () => {
  it('passes what the TP needs and forces limits, labels, network and the lab port', async () => {
    const { body } = await create({
      Image: 'httpd',
      HostConfig: { NetworkMode: 'default', PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '20001' }] }, Memory: 0, Privileged: false, Binds: null },
      NetworkingConfig: { EndpointsConfig: { default: {} } },
    });
    const host = body.HostConfig as Record<string, any>;
    expect(body.Image).toBe('netlabs-local/httpd:2.4');
    expect(host).toMatchObject({ NetworkMode: 'nl-abc123-bridge', Memory: 256 * 1024 * 1024, PidsLimit: 256, Privileged: false, SecurityOpt: ['no-new-privileges'] });
    expect(host.PortBindings).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '20001' }] });
    expect(body.Labels).toMatchObject({ 'netlabs.lab': lab.labId, 'netlabs.name': 'web' });
    expect((body.NetworkingConfig as any).EndpointsConfig['nl-abc123-bridge'].Aliases).toEqual(['web']);
  });

  it.each([
    [{ Privileged: true }, /--privileged/],
    [{ CapAdd: ['NET_ADMIN'] }, /--cap-add/],
    [{ Binds: ['/:/host'] }, /bind mounts/],
    [{ Mounts: [{ Type: 'volume', Source: 'x', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'local', Options: { o: 'bind', device: '/' } } } }] }, /--mount/],
    [{ Devices: [{ PathOnHost: '/dev/kmsg' }] }, /--device/],
    [{ PidMode: 'host' }, /--pid/],
    [{ IpcMode: 'host' }, /--ipc/],
    [{ UTSMode: 'host' }, /--uts/],
    [{ UsernsMode: 'host' }, /--userns/],
    [{ SecurityOpt: ['apparmor=unconfined'] }, /--security-opt/],
    [{ Sysctls: { 'net.ipv4.ip_forward': '1' } }, /--sysctl/],
    [{ CgroupParent: '/' }, /--cgroup-parent/],
    [{ VolumesFrom: ['other'] }, /--volumes-from/],
    [{ NetworkMode: 'host' }, /--net host/],
    [{ PublishAllPorts: true }, /-P/],
    [{ PortBindings: { '80/tcp': [{ HostPort: '22' }] } }, /own host port 20001/],
    [{ PortBindings: { '80/tcp': [{ HostPort: '' }] } }, /own host port 20001/],
    [{ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.2', HostPort: '20001' }] } }, /bind to 0.0.0.0/],
    [{ Runtime: 'runc-debug' }, /--runtime/],
    [{ SomethingNew: 'x' }, /HostConfig.SomethingNew/],
  ])('refuses HostConfig %j', async (hostConfig, message) => {
    await refused(create({ Image: 'ubuntu', HostConfig: hostConfig }), message);
  });

  it('resolves container: and --link inside the lab only', async () => {
    const shared = await create({ Image: 'ubuntu', HostConfig: { NetworkMode: 'container:mon-serveur' } });
    expect((shared.body.HostConfig as any).NetworkMode).toBe(`container:${'a'.repeat(64)}`);
    const linked = await create({ Image: 'ubuntu', HostConfig: { Links: ['mon-serveur:serveur'] } });
    expect((linked.body.NetworkingConfig as any).EndpointsConfig['nl-abc123-bridge'].Links).toEqual(['nl-abc123-mon-serveur:serveur']);
    await refused(create({ Image: 'ubuntu', HostConfig: { NetworkMode: 'container:other-lab' } }), /No such container/);
    await refused(create({ Image: 'ubuntu', HostConfig: { Links: ['nl-zzz-web:w'] } }), /No such container/);
  });

  it('refuses volumes and unknown top-level settings', async () => {
    await refused(create({ Image: 'ubuntu', Volumes: { '/data': {} } }), /volumes/);
    await refused(create({ Image: 'ubuntu', Magic: 1 }), /Magic is not allowed/);
  });
});

describe('network create policy', () => {
  const chat = (over: Record<string, unknown> = {}) => ({ Name: 'chat', Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.96.5.0/24', Gateway: '10.96.5.1', IPRange: '10.96.5.16/28' }] }, Options: { 'com.docker.network.bridge.name': 'chat0' }, ...over });
  const existing = [{ Id: 'b', Name: 'nl-abc123-bridge', Labels: { 'netlabs.name': 'bridge' }, IPAM: { Config: [{ Subnet: '10.96.4.0/24' }] } }];

  it('maps the asked bridge name to the lab\'s own interface and remembers it', () => {
    const body = planNetworkCreate(chat(), lab, existing) as any;
    expect(body.Name).toBe('nl-abc123-chat');
    expect(body.Options['com.docker.network.bridge.name']).toBe('chat24581');
    expect(body.Labels['netlabs.bridge-alias']).toBe('chat0');
  });

  it.each([
    [{ IPAM: { Config: [{ Subnet: '192.168.1.0/24' }] } }, /outside this lab's addresses: use 10.96.5.0\/24/],
    [{ IPAM: { Config: [{ Subnet: '10.96.4.0/24' }] } }, /outside this lab's addresses/],
    [{ Driver: 'macvlan' }, /only bridge/],
    [{ EnableIPv6: true }, /IPv6/],
    [{ Options: { 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0' } }, /not available/],
    [{ Name: 'host' }, /predefined/],
    [{ IPAM: { Config: [{ Subnet: '10.96.5.0/24', Gateway: '10.96.9.1' }] } }, /not inside the subnet/],
  ])('refuses %j', (over, message) => {
    expect(() => planNetworkCreate(chat(over), lab, existing)).toThrow(message);
  });

  it('refuses a second network when the lab has no free subnet', () => {
    const both = [...existing, { Id: 'c', Name: 'nl-abc123-chat', Labels: { 'netlabs.name': 'chat' }, IPAM: { Config: [{ Subnet: '10.96.5.0/24' }] } }];
    expect(() => planNetworkCreate(chat({ Name: 'other' }), lab, both)).toThrow(/no free subnet/);
  });
});

describe('image names and Dockerfiles', () => {
  it('maps shared images whatever the tag, and keeps the lab\'s own under its prefix', () => {
    expect(images.engineRef('docker.io/library/ubuntu:22.04')).toBe('netlabs-local/ubuntu:24.04');
    expect(images.engineRef('mypython2')).toBe('nl-abc123/mypython2:latest');
    expect(() => images.ownTarget('httpd')).toThrow(/shares/);
    expect(() => parseImageRef('evil.io/x/y')).toThrow(/invalid reference/);
    expect(() => parseImageRef('ubuntu@sha256:abc')).toThrow(/digest/);
  });

  it('rewrites FROM with global ARG defaults, and refuses images the lab may not use', () => {
    const out = rewriteDockerfile('ARG BASE_IMAGE=ubuntu:24.04\nFROM ${BASE_IMAGE}\nCOPY . /home/chat/\n', (r) => images.engineRef(r), {});
    expect(out).toContain('FROM netlabs-local/ubuntu:24.04');
    expect(rewriteDockerfile('FROM ubuntu AS base\nFROM base\nCOPY --from=base /a /b', (r) => images.engineRef(r), {})).toContain('FROM base');
    expect(() => rewriteDockerfile('FROM ubuntu\nCOPY --from=alpine /etc/passwd /x', (r) => images.engineRef(r), {})).toThrow(/earlier build stage/);
    expect(() => rewriteDockerfile('FROM quay.io/evil/img', (r) => images.engineRef(r), {})).toThrow(/invalid reference/);
    expect(() => rewriteDockerfile('RUN true', (r) => images.engineRef(r), {})).toThrow(/no FROM/);
  });
});
