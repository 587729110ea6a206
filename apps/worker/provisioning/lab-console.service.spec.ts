import { describe, expect, it } from 'vitest';
import { gatewaySecret, verifyCredential } from '../../../libs/gateway/credentials';
import { consoleSpec } from './lab-console.service';

const config = { LAB_IMAGE_CONSOLE: 'netlabs/console:1', GATEWAY_SOCKET: '/srv/nl/gw.sock', GATEWAY_SECRET: undefined, ADMIN_TOKEN: 'admin-token-0123456789' };
const labId = '3f9a2c00-1111-4222-8333-444455556666';
const values = {
  bridgeSubnet: '10.96.4.0/24',
  bridgeGateway: '10.96.4.1',
  bridgeInterface: 'nlb24580',
  chatSubnet: '10.96.5.0/24',
  chatInterface: 'chat24581',
  httpdPort: 20123,
  publicHost: '127.0.0.1',
};

describe('consoleSpec', () => {
  it("wires DOCKER_HOST to the mounted socket and carries the lab's own credential", () => {
    const sut = consoleSpec(config, labId, values);
    expect(sut.gatewayDir).toBe('/srv/nl');
    expect(sut.env.DOCKER_HOST).toBe('unix:///run/netlabs/gw.sock');
    expect(verifyCredential(gatewaySecret(config), sut.env.NETLABS_LAB_CREDENTIAL)).toBe(labId);
    expect(sut.env.NETLABS_PUBLISHED_PORTS).toBe('20123');
    expect(sut.image).toBe('netlabs/console:1');
  });

  it('takes the last address of the bridge, leaving the first ones to the TP', () => {
    expect(consoleSpec(config, labId, values).ipv4).toBe('10.96.4.254');
  });

  it('maps a public host name to the console, not an address', () => {
    expect(consoleSpec(config, labId, values).loopbackHosts).toBeUndefined();
    expect(consoleSpec(config, labId, { ...values, publicHost: 'labs.example.edu' }).loopbackHosts).toEqual(['labs.example.edu']);
  });
});
