import type { IncomingMessage } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../libs/config/app-config';
import { clientAddress, trustProxySetting } from './client-address';

/** The compiled `trust proxy` function Express itself makes from a TRUST_PROXY value (as create-api.ts sets it). */
function trustOf(value: string | undefined) {
  const config = loadConfig({ ADMIN_TOKEN: 'x'.repeat(16), ...(value === undefined ? {} : { TRUST_PROXY: value }) });
  const app = express();
  app.set('trust proxy', trustProxySetting(config));
  return app.get('trust proxy fn');
}

const upgrade = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('clientAddress (terminal upgrades, as Express computes req.ip)', () => {
  it('trusts nothing when TRUST_PROXY is unset: the header never changes the address', () => {
    const trust = trustOf(undefined);
    expect(clientAddress(upgrade('127.0.0.1', '198.51.100.7'), trust)).toBe('127.0.0.1');
    expect(clientAddress(upgrade('::ffff:10.1.2.3', '198.51.100.7, 127.0.0.1'), trust)).toBe('::ffff:10.1.2.3');
  });

  it('with loopback: reads the header only from a loopback peer, and only the entry the proxy added', () => {
    const trust = trustOf('loopback');
    expect(clientAddress(upgrade('127.0.0.1', '198.51.100.7'), trust)).toBe('198.51.100.7');
    expect(clientAddress(upgrade('::ffff:127.0.0.1', '198.51.100.7'), trust)).toBe('198.51.100.7');
    expect(clientAddress(upgrade('::1', '198.51.100.7'), trust)).toBe('198.51.100.7');
    // A client that is not the proxy cannot choose its address.
    expect(clientAddress(upgrade('192.0.2.10', '198.51.100.7'), trust)).toBe('192.0.2.10');
    // What the client wrote itself is left of what the proxy appended: the proxy's entry counts.
    expect(clientAddress(upgrade('127.0.0.1', '10.0.0.1, 198.51.100.7'), trust)).toBe('198.51.100.7');
    // A forged loopback entry walks no further than the next untrusted one.
    expect(clientAddress(upgrade('127.0.0.1', '10.0.0.1, 127.0.0.1'), trust)).toBe('10.0.0.1');
    expect(clientAddress(upgrade('127.0.0.1'), trust)).toBe('127.0.0.1');
  });

  it('with a list of proxies and subnets', () => {
    const trust = trustOf('10.0.0.5, 10.0.1.0/24');
    expect(clientAddress(upgrade('10.0.1.9', '198.51.100.7'), trust)).toBe('198.51.100.7');
    expect(clientAddress(upgrade('10.0.0.6', '198.51.100.7'), trust)).toBe('10.0.0.6');
  });
});

describe('TRUST_PROXY', () => {
  it.each(['true', 'everyone', '10.0.0.0/8/1', '300.1.1.1', '10.0.0.1,nope'])('refuses %s at start, saying why', (value) => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'x'.repeat(16), TRUST_PROXY: value })).toThrow(/TRUST_PROXY: .*(not loopback|choose its address)/s);
  });

  it('takes a hop count', () => {
    expect(loadConfig({ ADMIN_TOKEN: 'x'.repeat(16), TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
  });
});
