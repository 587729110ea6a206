/**
 * The body of `POST /networks/create`, rebuilt: a bridge network on one of the lab's own
 * subnets, with the lab's own bridge interface (the name the student asked for is shown
 * back to them: `-o com.docker.network.bridge.name=chat0` works as in the TP without two
 * labs' `chat0` meeting on the host).
 */
import { ipToInt } from '../../allocation/address-pool';
import { firstHost } from '../../allocation/lab-resources';
import { labelsFor } from '../../docker/docker-specs';
import { LABEL_BRIDGE_ALIAS, type GatewayLab } from '../gateway-lab';
import type { EngineNetwork } from '../lab-view';
import { badRequest, conflict, forbidden } from '../refusal';
import { isEmpty, ownLabels } from './values';

type Json = Record<string, unknown>;

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
const RESERVED = new Set(['bridge', 'host', 'none', 'default']);
const TP_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const IFNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;
const ALLOWED_OPTIONS = new Set([BRIDGE_NAME_OPTION, 'com.docker.network.bridge.enable_icc', 'com.docker.network.bridge.enable_ip_masquerade', 'com.docker.network.driver.mtu']);

function cidr(value: string): { base: number; bits: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(value);
  if (!m || Number(m[2]) > 32 || m[1].split('.').some((o) => Number(o) > 255)) throw badRequest(`invalid subnet "${value}": give it in CIDR form, e.g. 10.0.0.0/24`);
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (ipToInt(m[1]) & mask) >>> 0, bits };
}

const inside = (inner: string, outer: string) => {
  const a = cidr(inner);
  const b = cidr(outer);
  const mask = b.bits === 0 ? 0 : (~0 << (32 - b.bits)) >>> 0;
  return a.bits >= b.bits && ((a.base & mask) >>> 0) === b.base;
};

/** The lab's subnets with the bridge interface each must use. */
function labSubnets(lab: GatewayLab): { subnet: string; bridge: string }[] {
  const v = lab.values;
  return [
    { subnet: v.bridgeSubnet, bridge: v.bridgeInterface },
    { subnet: v.chatSubnet, bridge: v.chatInterface },
  ];
}

export function planNetworkCreate(raw: Json, lab: GatewayLab, existing: EngineNetwork[]): Json {
  const name = raw.Name;
  if (typeof name !== 'string' || !TP_NAME.test(name)) throw badRequest(`invalid network name "${String(name)}"`);
  if (RESERVED.has(name)) throw forbidden(`network with name ${name} already exists (it is predefined)`);
  if (existing.some((n) => n.Labels?.['netlabs.name'] === name)) throw conflict(`network with name ${name} already exists`);
  const driver = raw.Driver ?? 'bridge';
  if (driver !== 'bridge' && driver !== '') throw forbidden(`driver "${String(driver)}" is not available in a lab: only bridge networks`);
  for (const [key, reason] of Object.entries({
    Ingress: 'ingress networks are not available in a lab',
    EnableIPv6: 'IPv6 networks are not available in a lab',
    ConfigOnly: '--config-only is not available in a lab',
    ConfigFrom: '--config-from is not available in a lab',
  })) {
    if (!isEmpty(raw[key])) throw forbidden(reason);
  }
  if (!isEmpty(raw.Scope) && raw.Scope !== 'local') throw forbidden('only local networks are available in a lab');

  const ipam = (raw.IPAM ?? {}) as Json;
  if (!isEmpty(ipam.Driver) && ipam.Driver !== 'default') throw forbidden('IPAM drivers other than default are not available in a lab');
  if (!isEmpty(ipam.Options)) throw forbidden('--ipam-opt is not available in a lab');
  const configs = (Array.isArray(ipam.Config) ? ipam.Config : []) as Json[];
  if (configs.length > 1) throw forbidden('one subnet per network in a lab');
  const config = configs[0] ?? {};
  if (!isEmpty(config.AuxiliaryAddresses)) throw forbidden('--aux-address is not available in a lab');

  const used = existing.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s));
  const free = labSubnets(lab).filter((s) => !used.some((u) => inside(u, s.subnet) || inside(s.subnet, u)));
  if (!free.length) {
    const taken = labSubnets(lab).map((s) => s.subnet).join(' and ');
    throw forbidden(`this lab has no free subnet: ${taken} are in use by its networks. Remove one first (docker network rm <name>)`);
  }
  const subnet = typeof config.Subnet === 'string' && config.Subnet ? config.Subnet : free[0].subnet;
  const home = free.find((s) => inside(subnet, s.subnet));
  if (!home) {
    throw forbidden(`subnet ${subnet} is outside this lab's addresses: use ${free.map((s) => s.subnet).join(' or ')} (the lab's own subnet for a new network)`);
  }
  for (const key of ['Gateway', 'IPRange'] as const) {
    const value = config[key];
    if (isEmpty(value)) continue;
    const asCidr = key === 'Gateway' ? `${String(value)}/32` : String(value);
    if (!inside(asCidr, subnet)) throw badRequest(`${key === 'Gateway' ? 'gateway' : 'ip-range'} ${String(value)} is not inside the subnet ${subnet}`);
  }

  const options = (raw.Options ?? {}) as Record<string, string>;
  for (const key of Object.keys(options)) {
    if (!ALLOWED_OPTIONS.has(key)) throw forbidden(`network option ${key} is not available in a lab`);
  }
  const asked = options[BRIDGE_NAME_OPTION];
  if (asked !== undefined && !IFNAME.test(asked)) throw badRequest(`bridge name "${asked}" is not a valid interface name: 1 to 15 letters, digits, "_", "." or "-"`);

  const labels: Record<string, string> = { ...ownLabels(raw.Labels), ...labelsFor(lab.scope, name) };
  if (asked && asked !== home.bridge) labels[LABEL_BRIDGE_ALIAS] = asked;
  const gateway = typeof config.Gateway === 'string' && config.Gateway ? config.Gateway : subnet === home.subnet ? firstHost(subnet) : undefined;
  return {
    Name: `${lab.scope.prefix}-${name}`,
    CheckDuplicate: true,
    Driver: 'bridge',
    Internal: !!raw.Internal,
    Attachable: !!raw.Attachable,
    IPAM: {
      Driver: 'default',
      Config: [{ Subnet: subnet, ...(gateway ? { Gateway: gateway } : {}), ...(config.IPRange ? { IPRange: config.IPRange } : {}) }],
    },
    Options: { ...options, [BRIDGE_NAME_OPTION]: home.bridge },
    Labels: labels,
  };
}

/** The bridge name the student asked for, in place of the lab's own, in what they read back. */
export function showBridgeAlias<T extends Partial<EngineNetwork>>(network: T): T {
  const alias = network.Labels?.[LABEL_BRIDGE_ALIAS];
  if (!alias || !network.Options) return network;
  return { ...network, Options: { ...network.Options, [BRIDGE_NAME_OPTION]: alias } };
}
