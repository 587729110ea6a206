import { z } from 'zod';
import type { NetworkInfo } from '../../docker/tenant-docker';
import {
  cidrInside,
  compareCidr,
  formatCidr,
  isHostAddressOf,
  parseCidr,
  parseIpv4,
  prefixForUsable,
  usableAddresses,
} from '../net-compare';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, fail, pass } from './check';

const schema = z
  .object({
    type: z.literal('network'),
    ...checkBaseFields,
    network: z.string().min(1),
    driver: z.string().min(1).optional(),
    /** Exact subnet, a template such as `{{chatSubnet}}`. */
    subnet: z.string().min(1).optional(),
    /** Exact gateway (template), or any host address of the expected subnet. */
    gateway: z.union([z.string().min(1), z.object({ inSubnet: z.literal(true) }).strict()]).optional(),
    /** Exact ip-range (template), or a block of the subnet with exactly this many usable addresses. */
    ipRange: z
      .union([
        z.string().min(1),
        z
          .object({
            usableAddresses: z
              .number()
              .int()
              .positive()
              .refine((n) => prefixForUsable(n) !== null, 'no address block has exactly this many usable addresses'),
          })
          .strict(),
      ])
      .optional(),
    /** Linux bridge interface name (template). */
    bridgeName: z.string().min(1).optional(),
    /** How to create it, shown when it does not exist (a template). */
    createHint: z.string().min(1).optional(),
  })
  .strict();
export type NetworkCheckSpec = z.infer<typeof schema>;

/**
 * A network's live settings against the expected ones. One result for the network, listing
 * every mismatch, so a student who got the subnet right but forgot the ip-range reads both.
 */
export const networkCheck: CheckImpl<NetworkCheckSpec> = {
  type: 'network',
  readsOnly: true,
  schema,
  describe: (spec, env) => checkMessage(env.lang, 'network.name', { network: spec.network }),
  async run(spec, env) {
    const info = await env.network(spec.network);
    const subject = `network ${spec.network}`;
    if (!info) {
      const how = spec.createHint ? env.render(spec.createHint) : `docker network create ... ${spec.network}`;
      return fail(checkMessage(env.lang, 'network.not-found', { network: spec.network, how }));
    }
    const expectedSubnet = spec.subnet ? env.render(spec.subnet) : undefined;
    const problems = [
      spec.driver && info.driver !== spec.driver ? `driver is ${info.driver}, expected ${spec.driver}` : null,
      expectedSubnet ? subnetProblem(info, expectedSubnet) : null,
      spec.gateway ? gatewayProblem(info, spec.gateway, expectedSubnet ?? info.subnet, env.render) : null,
      spec.ipRange ? ipRangeProblem(info, spec.ipRange, expectedSubnet ?? info.subnet, env.render) : null,
      spec.bridgeName ? bridgeProblem(info, env.render(spec.bridgeName)) : null,
    ].filter((p): p is string => !!p);
    if (problems.length) return fail(`${subject}: ${problems.join('; ')}`);
    return pass(`${subject}: ${summary(info)}`);
  },
};

function summary(info: NetworkInfo): string {
  return [
    `driver ${info.driver}`,
    info.subnet && `subnet ${info.subnet}`,
    info.gateway && `gateway ${info.gateway}`,
    info.ipRange && `ip-range ${info.ipRange}`,
    info.bridgeName && `bridge interface ${info.bridgeName}`,
  ]
    .filter(Boolean)
    .join(', ');
}

function subnetProblem(info: NetworkInfo, expected: string): string | null {
  if (!info.subnet) return `has no subnet, expected ${expected} (--subnet)`;
  return compareCidr(info.subnet, expected).equal ? null : `subnet is ${info.subnet}, expected ${expected}`;
}

function gatewayProblem(info: NetworkInfo, want: NonNullable<NetworkCheckSpec['gateway']>, subnet: string | undefined, render: (t: string) => string): string | null {
  if (typeof want === 'string') {
    const expected = render(want);
    if (!info.gateway) return `has no gateway, expected ${expected} (--gateway)`;
    return parseIpv4(info.gateway) === parseIpv4(expected) ? null : `gateway is ${info.gateway}, expected ${expected}`;
  }
  if (!info.gateway) return `has no gateway, expected one inside ${subnet ?? 'the subnet'} (--gateway)`;
  if (subnet && !isHostAddressOf(info.gateway, subnet)) {
    return `gateway ${info.gateway} is not a usable address of ${subnet} (not its network or broadcast address)`;
  }
  return null;
}

function ipRangeProblem(info: NetworkInfo, want: NonNullable<NetworkCheckSpec['ipRange']>, subnet: string | undefined, render: (t: string) => string): string | null {
  if (typeof want === 'string') {
    const expected = render(want);
    if (!info.ipRange) return `has no ip-range, expected ${expected} (--ip-range)`;
    return compareCidr(info.ipRange, expected).equal ? null : `ip-range is ${info.ipRange}, expected ${expected}`;
  }
  const prefix = prefixForUsable(want.usableAddresses)!;
  const wanted = `a /${prefix} inside ${subnet ?? 'the subnet'} (${want.usableAddresses} client addresses)`;
  if (!info.ipRange) return `has no ip-range, expected ${wanted} (--ip-range)`;
  const range = parseCidr(info.ipRange);
  if (!range.ok) return `ip-range "${info.ipRange}" is not a CIDR, expected ${wanted}`;
  if (range.cidr.prefix !== prefix) {
    return `ip-range is ${info.ipRange} (${usableAddresses(range.cidr.prefix)} usable addresses), expected ${wanted}`;
  }
  if (subnet && !cidrInside(formatCidr(range.cidr), subnet)) return `ip-range ${info.ipRange} is outside the subnet ${subnet}`;
  return null;
}

function bridgeProblem(info: NetworkInfo, expected: string): string | null {
  if (info.bridgeName === expected) return null;
  const actual = info.bridgeName ? `bridge interface is ${info.bridgeName}` : 'bridge interface has no chosen name';
  return `${actual}, expected ${expected} (-o com.docker.network.bridge.name=${expected})`;
}
