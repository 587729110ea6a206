import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ownedContainer, ownedNetwork, sharedNamespaceId, toContainerInfo, toNetworkInfo, topCommands } from './docker-mappers';

const ID = 'c0ffee'.padEnd(64, '0');
const OWNER = 'beef'.padEnd(64, '1');
const labels = { 'netlabs.lab': 'lab-1', 'netlabs.class': 'class-1', 'netlabs.name': 'mon-serveur' };

/** Engine JSON as Docker 20.10 returns it, trimmed to what the mappers read. */
function containerJson(over: { HostConfig?: object; NetworkSettings?: object; State?: object } = {}): Docker.ContainerInspectInfo {
  return {
    Id: ID,
    Name: '/nl-abc-mon-serveur',
    Image: 'sha256:1234',
    Config: { Image: 'httpd:2.4', Labels: labels },
    State: { Status: 'running', Running: true, ExitCode: 0, OOMKilled: false, ...over.State },
    HostConfig: { NetworkMode: 'nl-abc-bridge', Memory: 268435456, NanoCpus: 500000000, PidsLimit: 256, Privileged: false, PortBindings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '20001' }] }, ...over.HostConfig },
    NetworkSettings: {
      Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '20001' }, { HostIp: '::', HostPort: '20001' }] },
      Networks: { 'nl-abc-bridge': { Aliases: ['mon-serveur', 'web', ID.slice(0, 12)], IPAddress: '10.96.0.130' } },
      ...over.NetworkSettings,
    },
  } as unknown as Docker.ContainerInspectInfo;
}

describe('toContainerInfo', () => {
  it('speaks TP names and leaves engine details out', () => {
    const sut = toContainerInfo(containerJson(), 'nl-abc');
    expect(sut).toEqual({
      id: ID,
      name: 'mon-serveur',
      engineName: 'nl-abc-mon-serveur',
      image: 'httpd:2.4',
      state: 'running',
      running: true,
      networkMode: 'bridge',
      networks: [{ name: 'bridge', ipv4: '10.96.0.130', aliases: ['mon-serveur', 'web'] }],
      ports: [{ containerPort: 80, hostPort: 20001 }],
      labels,
      limits: { memoryBytes: 268435456, nanoCpus: 500000000, pidsLimit: 256, privileged: false },
    });
  });

  it('reports how a stopped container ended, and the ports it asked for', () => {
    const sut = toContainerInfo(
      containerJson({ State: { Status: 'exited', Running: false, ExitCode: 137, OOMKilled: true }, NetworkSettings: { Ports: {}, Networks: {} } }),
      'nl-abc',
    );
    expect(sut).toMatchObject({ state: 'exited', running: false, exitCode: 137, oomKilled: true, ports: [{ containerPort: 80, hostPort: 20001 }], networks: [] });
  });

  it('names the container whose namespace it shares', () => {
    const json = containerJson({ HostConfig: { NetworkMode: `container:${OWNER}`, PortBindings: {} }, NetworkSettings: { Ports: {}, Networks: {} } });
    expect(sharedNamespaceId(json)).toBe(OWNER);
    expect(toContainerInfo(json, 'nl-abc', 'container1').networkMode).toBe('container:container1');
    expect(sharedNamespaceId(containerJson())).toBeUndefined();
  });
});

describe('toNetworkInfo', () => {
  it('gives subnet, gateway, ip-range, bridge name and attached containers by TP name', () => {
    const sut = toNetworkInfo(
      {
        Id: 'net1',
        Name: 'nl-abc-chat',
        Driver: 'bridge',
        Created: '2026-01-01T00:00:00Z',
        IPAM: { Driver: 'default', Config: [{ Subnet: '10.96.3.0/24', Gateway: '10.96.3.1', IPRange: '10.96.3.128/25' }] },
        Options: { 'com.docker.network.bridge.name': 'chat3' },
        Labels: { 'netlabs.name': 'chat', 'netlabs.lab': 'lab-1' },
        Containers: {
          b: { Name: 'nl-abc-client1', IPv4Address: '10.96.3.131/24' },
          a: { Name: 'nl-abc-chat_serveur', IPv4Address: '10.96.3.130/24' },
        },
      } as unknown as Docker.NetworkInspectInfo,
      'nl-abc',
    );
    expect(sut).toEqual({
      id: 'net1',
      name: 'chat',
      engineName: 'nl-abc-chat',
      driver: 'bridge',
      subnet: '10.96.3.0/24',
      gateway: '10.96.3.1',
      ipRange: '10.96.3.128/25',
      bridgeName: 'chat3',
      labels: { 'netlabs.name': 'chat', 'netlabs.lab': 'lab-1' },
      containers: [
        { name: 'chat_serveur', ipv4: '10.96.3.130' },
        { name: 'client1', ipv4: '10.96.3.131' },
      ],
    });
  });

  it('copes with a network without IPAM config or containers', () => {
    const sut = toNetworkInfo({ Id: 'n', Name: 'nl-abc-bridge', Driver: 'bridge', IPAM: { Config: [] } } as unknown as Docker.NetworkInspectInfo, 'nl-abc');
    expect(sut).toMatchObject({ name: 'bridge', subnet: undefined, bridgeName: undefined, containers: [], labels: {} });
  });
});

describe('owned objects', () => {
  it('maps listed containers and networks', () => {
    expect(ownedContainer({ Id: 'c', Names: ['/nl-abc-x'], State: 'running', Labels: labels } as unknown as Docker.ContainerInfo)).toEqual({
      kind: 'container',
      id: 'c',
      engineName: 'nl-abc-x',
      labId: 'lab-1',
      classId: 'class-1',
      running: true,
    });
    expect(ownedNetwork({ Id: 'n', Name: 'nl-abc-chat', Labels: { 'netlabs.lab': 'lab-1' } } as unknown as Docker.NetworkInspectInfo)).toEqual({
      kind: 'network',
      id: 'n',
      engineName: 'nl-abc-chat',
      labId: 'lab-1',
    });
  });
});

describe('topCommands', () => {
  it('takes the command column, spaces included', () => {
    const sut = topCommands({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '1', '0', '0', '18:00', '?', '00:00:00', '/sbin/docker-init -- sleep 3600'],
        ['root', '7', '1', '0', '18:00', '?', '00:00:00', 'sleep 3600'],
      ],
    });
    expect(sut).toEqual(['/sbin/docker-init -- sleep 3600', 'sleep 3600']);
  });
});

describe('toNetworkInfo and the console', () => {
  it('leaves NetLabs containers (<prefix>--console) out of the members', () => {
    const net = {
      Id: 'n1',
      Name: 'nl-abc-bridge',
      Driver: 'bridge',
      Labels: { 'netlabs.name': 'bridge' },
      IPAM: { Config: [{ Subnet: '10.96.4.0/24', Gateway: '10.96.4.1' }] },
      Containers: {
        a: { Name: 'nl-abc--console', IPv4Address: '10.96.4.254/24' },
        b: { Name: 'nl-abc-mon-serveur', IPv4Address: '10.96.4.2/24' },
      },
    } as unknown as Docker.NetworkInspectInfo;
    expect(toNetworkInfo(net, 'nl-abc').containers).toEqual([{ name: 'mon-serveur', ipv4: '10.96.4.2' }]);
  });
});
