import { describe, expect, it } from 'vitest';
import { LAB_CAPABILITIES, labContainerHardening, logConfig, publishHostIp } from './lab-hardening';

describe('labContainerHardening', () => {
  const own = { sharesNamespace: false, diskQuota: false };

  it('drops every capability but the few the TP needs, NET_RAW included', () => {
    const sut = labContainerHardening({}, own);
    expect(sut.CapDrop).toEqual(['ALL']);
    expect(sut.CapAdd).toEqual(LAB_CAPABILITIES);
    expect(sut.CapAdd).not.toContain('NET_RAW');
    expect(sut).toMatchObject({ Privileged: false, SecurityOpt: ['no-new-privileges'], Binds: [], Mounts: [] });
  });

  it('lets ping use ICMP datagram sockets, except in a shared namespace (the owner has it)', () => {
    expect(labContainerHardening({}, own).Sysctls).toEqual({ 'net.ipv4.ping_group_range': '0 2147483647' });
    expect(labContainerHardening({}, { ...own, sharesNamespace: true }).Sysctls).toBeUndefined();
  });

  it('rotates the json-file log', () => {
    expect(labContainerHardening({ logMb: 4 }, own).LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '2048k', 'max-file': '2' } });
    expect(logConfig(0)?.Config).toEqual({ 'max-size': '64k', 'max-file': '2' });
  });

  it('asks for a writable-layer size only where the storage driver enforces it', () => {
    expect(labContainerHardening({ diskMb: 512 }, own).StorageOpt).toBeUndefined();
    expect(labContainerHardening({ diskMb: 512 }, { ...own, diskQuota: true }).StorageOpt).toEqual({ size: '512M' });
  });
});

describe('publishHostIp', () => {
  it('binds the configured address, every IPv4 address only when nothing is configured', () => {
    expect(publishHostIp({ publishAddress: '127.0.0.1' })).toBe('127.0.0.1');
    expect(publishHostIp({})).toBe('0.0.0.0');
  });
});
