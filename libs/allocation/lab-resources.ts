import type { LabValues } from '../labs/lab-values';
import { intToIp, ipToInt } from './address-pool';

/** What a lab's allocations are for (Allocation.purpose). */
export const Purpose = {
  BridgeSubnet: 'bridge-subnet',
  ChatSubnet: 'chat-subnet',
  BridgeInterface: 'bridge-if',
  ChatInterface: 'chat-if',
  HttpdPort: 'httpd-port',
} as const;

export const bridgeInterfaceName = (index: number) => `nlb${index}`;
export const chatInterfaceName = (index: number) => `chat${index}`;

/** The gateway NetLabs gives a /24 it creates: its first address. */
export function firstHost(subnet: string): string {
  return intToIp(ipToInt(subnet.split('/')[0]) + 1);
}

/** LabValues from a lab's allocation rows, or null while they are incomplete. */
export function labValuesFrom(allocations: { purpose: string; value: string }[], publicHost: string): LabValues | null {
  const byPurpose = new Map(allocations.map((a) => [a.purpose, a.value]));
  const get = (purpose: string) => byPurpose.get(purpose);
  const bridgeSubnet = get(Purpose.BridgeSubnet);
  const chatSubnet = get(Purpose.ChatSubnet);
  const bridgeInterface = get(Purpose.BridgeInterface);
  const chatInterface = get(Purpose.ChatInterface);
  const port = get(Purpose.HttpdPort);
  if (!bridgeSubnet || !chatSubnet || !bridgeInterface || !chatInterface || !port) return null;
  return {
    bridgeSubnet,
    bridgeGateway: firstHost(bridgeSubnet),
    bridgeInterface,
    chatSubnet,
    chatInterface,
    httpdPort: Number(port),
    publicHost,
  };
}
