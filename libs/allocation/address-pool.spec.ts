import { describe, expect, it } from 'vitest';
import { pickFreeIndex, SubnetPool } from './address-pool';
import { bridgeInterfaceName, chatInterfaceName, firstHost, labValuesFrom, Purpose } from './lab-resources';

describe('SubnetPool', () => {
  it('carves /24s out of the pool and finds their index back', () => {
    const sut = new SubnetPool('10.96.0.0/14');
    expect(sut.size).toBe(1024);
    expect(sut.subnet(0)).toBe('10.96.0.0/24');
    expect(sut.subnet(257)).toBe('10.97.1.0/24');
    expect(sut.indexOf('10.97.1.0/24')).toBe(257);
    expect(() => sut.subnet(1024)).toThrow(/outside the pool/);
  });

  it('refuses pools smaller than a /24', () => {
    expect(() => new SubnetPool('10.0.0.0/25')).toThrow(/prefix/);
  });
});

describe('pickFreeIndex', () => {
  it('never returns a used index and says when the pool is full', () => {
    const used = new Set([0, 1, 2]);
    for (let i = 0; i < 50; i++) expect(pickFreeIndex(4, used)).toBe(3);
    expect(pickFreeIndex(3, used)).toBeNull();
  });
});

describe('labValuesFrom', () => {
  it('needs every allocation and derives the gateway', () => {
    const rows = [
      { purpose: Purpose.BridgeSubnet, value: '10.96.4.0/24' },
      { purpose: Purpose.ChatSubnet, value: '10.96.9.0/24' },
      { purpose: Purpose.BridgeInterface, value: 'nlb4' },
      { purpose: Purpose.ChatInterface, value: 'chat9' },
    ];
    expect(labValuesFrom(rows, '127.0.0.1')).toBeNull();
    const values = labValuesFrom([...rows, { purpose: Purpose.HttpdPort, value: '20001' }], '127.0.0.1');
    expect(values).toMatchObject({ bridgeGateway: '10.96.4.1', httpdPort: 20001, chatInterface: 'chat9' });
    expect(firstHost('10.1.2.0/24')).toBe('10.1.2.1');
  });
});

describe('bridge interface names', () => {
  it('follow the subnet and fit in 15 characters', () => {
    expect(bridgeInterfaceName('10.96.4.0/24')).toBe('nlb24580');
    expect(chatInterfaceName('10.99.255.0/24')).toBe('chat25599');
    expect(chatInterfaceName('10.255.255.0/24').length).toBeLessThanOrEqual(15);
  });
});
