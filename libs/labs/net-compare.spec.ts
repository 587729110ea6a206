import { describe, expect, it } from 'vitest';
import {
  cidrInside,
  compareCidr,
  compareNameLists,
  isHostAddressOf,
  normaliseCidr,
  normaliseDockerOption,
  normaliseInterface,
  normaliseNameList,
  parseIpv4,
  prefixForUsable,
  usableAddresses,
} from './net-compare';

describe('net-compare', () => {
  describe('CIDR', () => {
    it.each(['10.96.4.0/24', '10.96.4.0 /24', ' 10.96.4.0 / 24 ', '10.96.004.0/24'])('reads %j as 10.96.4.0/24', (text) => {
      expect(normaliseCidr(text)).toBe('10.96.4.0/24');
      expect(compareCidr(text, '10.96.4.0/24')).toEqual({ equal: true });
    });

    it('refuses a host address inside the right subnet, saying so', () => {
      expect(compareCidr('10.96.4.1/24', '10.96.4.0/24')).toEqual({ equal: false, reason: 'host-address' });
    });

    it.each([
      ['10.96.5.0/24', 'different'],
      ['10.96.4.0/25', 'different'],
      ['10.96.0.0/16', 'different'],
      ['10.96.4.0', 'no-prefix'],
      ['10.96.4/24', 'unreadable'],
      ['10.96.4.256/24', 'unreadable'],
      ['10.96.4.0/33', 'unreadable'],
      ['bridge', 'unreadable'],
      ['', 'unreadable'],
    ])('refuses %j (%s)', (text, reason) => {
      expect(compareCidr(text, '10.96.4.0/24')).toEqual({ equal: false, reason });
    });

    it('tells which addresses hosts can use and which blocks sit inside others', () => {
      expect(isHostAddressOf('10.97.3.1', '10.97.3.0/24')).toBe(true);
      expect(isHostAddressOf('10.97.3.0', '10.97.3.0/24')).toBe(false);
      expect(isHostAddressOf('10.97.3.255', '10.97.3.0/24')).toBe(false);
      expect(isHostAddressOf('10.97.4.1', '10.97.3.0/24')).toBe(false);
      expect(cidrInside('10.97.3.16/28', '10.97.3.0/24')).toBe(true);
      expect(cidrInside('10.97.4.16/28', '10.97.3.0/24')).toBe(false);
      expect(cidrInside('10.97.0.0/16', '10.97.3.0/24')).toBe(false);
    });

    it('counts usable addresses: a /28 has exactly 14', () => {
      expect(usableAddresses(28)).toBe(14);
      expect(usableAddresses(24)).toBe(254);
      expect(prefixForUsable(14)).toBe(28);
      expect(prefixForUsable(15)).toBeNull();
    });

    it('parses IPv4 strictly', () => {
      expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
      expect(parseIpv4('10.0.0')).toBeNull();
      expect(parseIpv4('10.0.0.1.2')).toBeNull();
      expect(parseIpv4('a.b.c.d')).toBeNull();
    });
  });

  describe('interface names', () => {
    it.each(['nlb4', 'NLB4', ' nlb4 ', '4: nlb4: <BROADCAST,MULTICAST,UP>', 'nlb4@if12'])('reads %j as nlb4', (text) => {
      expect(normaliseInterface(text)).toBe('nlb4');
    });

    it('keeps different names different', () => {
      expect(normaliseInterface('docker0')).not.toBe(normaliseInterface('nlb4'));
      expect(normaliseInterface('nlb40')).not.toBe(normaliseInterface('nlb4'));
    });
  });

  describe('name lists', () => {
    it.each([['bridge host none'], ['none, HOST,bridge'], ['bridge;host;none;bridge'], [['host', 'none', ' Bridge ']]])('reads %j as the three default networks', (input) => {
      expect(normaliseNameList(input)).toEqual(['bridge', 'host', 'none']);
      expect(compareNameLists(input, ['bridge', 'host', 'none']).equal).toBe(true);
    });

    it('reports what is missing and what should not be there', () => {
      expect(compareNameLists('bridge overlay', ['bridge', 'host', 'none'])).toEqual({ equal: false, missing: ['host', 'none'], unexpected: ['overlay'] });
    });
  });

  describe('docker network create options', () => {
    it.each([
      'com.docker.network.bridge.name',
      '-o com.docker.network.bridge.name',
      '-o com.docker.network.bridge.name=chat0',
      '--opt com.docker.network.bridge.name=chat0',
      '--opt=com.docker.network.bridge.name=chat0',
      '"com.docker.network.bridge.name"',
      'COM.DOCKER.NETWORK.BRIDGE.NAME',
    ])('reads %j as the option key', (text) => {
      expect(normaliseDockerOption(text)).toBe('com.docker.network.bridge.name');
    });

    it('keeps other options different', () => {
      expect(normaliseDockerOption('--subnet')).not.toBe('com.docker.network.bridge.name');
      expect(normaliseDockerOption('-o com.docker.network.bridge.enable_icc=true')).toBe('com.docker.network.bridge.enable_icc');
    });
  });
});
