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

/**
 * Bridge interface names follow from the subnet (its second and third octets as one
 * number), so they are unique exactly when subnets are, even across several engines on
 * one kernel as long as their pools differ: 10.96.4.0/24 -> nlb24580 / chat24580.
 */
const subnetNumber = (subnet: string) => (ipToInt(subnet.split('/')[0]) >>> 8) & 0xffff;
/** The names' prefixes (AllocationRepository.claimLab derives the same names in SQL). */
export const InterfacePrefix = { bridge: 'nlb', chat: 'chat' } as const;
export const bridgeInterfaceName = (subnet: string) => `${InterfacePrefix.bridge}${subnetNumber(subnet)}`;
export const chatInterfaceName = (subnet: string) => `${InterfacePrefix.chat}${subnetNumber(subnet)}`;

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
