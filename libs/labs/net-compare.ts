/**
 * Normalisation of what students type and what Docker reports: IPv4 addresses, CIDRs,
 * interface names, name lists and `docker network create` options. Hand-written and
 * small on purpose: the rules are the lab's (what counts as "the same answer"), not a
 * general networking library's.
 */

export interface Ipv4Cidr {
  /** The address as written (may have host bits set). */
  address: number;
  prefix: number;
  /** The address with the host bits cleared. */
  network: number;
}

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** An IPv4 address as an unsigned 32-bit number, or null. Leading zeros are read as decimal. */
export function parseIpv4(text: string): number | null {
  const m = OCTETS.exec(text.trim());
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

export type CidrParse = { ok: true; cidr: Ipv4Cidr } | { ok: false; reason: 'not-cidr' | 'no-prefix' | 'bad-prefix' };

/** Reads `10.96.4.0/24`, also with spaces around the slash (`10.96.4.0 /24`). */
export function parseCidr(text: string): CidrParse {
  const compact = text.replace(/\s+/g, '');
  const slash = compact.indexOf('/');
  if (slash < 0) return { ok: false, reason: parseIpv4(compact) === null ? 'not-cidr' : 'no-prefix' };
  const address = parseIpv4(compact.slice(0, slash));
  if (address === null) return { ok: false, reason: 'not-cidr' };
  const prefixText = compact.slice(slash + 1);
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) return { ok: false, reason: 'bad-prefix' };
  const prefix = Number(prefixText);
  return { ok: true, cidr: { address, prefix, network: (address & maskOf(prefix)) >>> 0 } };
}

/** `10.96.4.0 /24` -> `10.96.4.0/24`; a CIDR with host bits set keeps them (`10.96.4.1/24`). Null when unreadable. */
export function normaliseCidr(text: string): string | null {
  const parsed = parseCidr(text);
  return parsed.ok ? `${formatIpv4(parsed.cidr.address)}/${parsed.cidr.prefix}` : null;
}

export function formatCidr(cidr: Pick<Ipv4Cidr, 'network' | 'prefix'>): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

export type CidrComparison =
  | { equal: true }
  | { equal: false; reason: 'unreadable' | 'no-prefix' | 'host-address' | 'different' };

/**
 * Compares a student's subnet with the live one. A host address inside the right subnet
 * (`10.96.4.1/24`) is not the subnet's address: it gets its own reason so the message can
 * say so instead of a bare "wrong".
 */
export function compareCidr(answer: string, expected: string): CidrComparison {
  const want = parseCidr(expected);
  if (!want.ok) throw new Error(`expected value is not a CIDR: ${expected}`);
  const got = parseCidr(answer);
  if (!got.ok) return { equal: false, reason: got.reason === 'no-prefix' ? 'no-prefix' : 'unreadable' };
  const sameNetwork = got.cidr.network === want.cidr.network && got.cidr.prefix === want.cidr.prefix;
  if (sameNetwork && got.cidr.address === got.cidr.network) return { equal: true };
  return { equal: false, reason: sameNetwork ? 'host-address' : 'different' };
}

/** Whether `ip` (an address, no mask) lies in `cidr`. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const address = parseIpv4(ip);
  const parsed = parseCidr(cidr);
  if (address === null || !parsed.ok) return false;
  return ((address & maskOf(parsed.cidr.prefix)) >>> 0) === parsed.cidr.network;
}

/** Whether `ip` is usable by a host in `cidr`: inside it, neither its network nor its broadcast address. */
export function isHostAddressOf(ip: string, cidr: string): boolean {
  const address = parseIpv4(ip);
  const parsed = parseCidr(cidr);
  if (address === null || !parsed.ok || !ipInCidr(ip, cidr)) return false;
  if (parsed.cidr.prefix >= 31) return true;
  const broadcast = (parsed.cidr.network | ~maskOf(parsed.cidr.prefix)) >>> 0;
  return address !== parsed.cidr.network && address !== broadcast;
}

/** Whether the range `inner` lies entirely inside `outer`. */
export function cidrInside(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  if (!a.ok || !b.ok || a.cidr.prefix < b.cidr.prefix) return false;
  return ((a.cidr.network & maskOf(b.cidr.prefix)) >>> 0) === b.cidr.network;
}

/** Addresses hosts can use in a block of this prefix: all but the network and broadcast addresses. */
export function usableAddresses(prefix: number): number {
  if (prefix >= 31) return prefix === 32 ? 1 : 2;
  return 2 ** (32 - prefix) - 2;
}

/** The prefix whose block has exactly `count` usable addresses (14 -> 28), or null when none has. */
export function prefixForUsable(count: number): number | null {
  for (let prefix = 0; prefix <= 32; prefix++) if (usableAddresses(prefix) === count) return prefix;
  return null;
}

/** The first host address of a subnet (`10.96.5.0/24` -> `10.96.5.1`): where NetLabs puts gateways. */
export function firstHostOf(cidr: string): string {
  const parsed = parseCidr(cidr);
  if (!parsed.ok) throw new Error(`not a CIDR: ${cidr}`);
  return formatIpv4(parsed.cidr.network + 1);
}

/**
 * An interface name as students write it: case ignored, and what `ip link` prints around
 * it dropped (`4: NLB4: <...>`, `nlb4@if12`).
 */
export function normaliseInterface(text: string): string {
  let name = text.trim().toLowerCase();
  name = name.replace(/^\d+:\s*/, '').replace(/:.*$/, '').replace(/@.*$/, '');
  return name.trim();
}

/** A list of names in any order, separated by commas, semicolons or spaces; case ignored, duplicates dropped. */
export function normaliseNameList(input: string | readonly string[]): string[] {
  const items = typeof input === 'string' ? [input] : input;
  const names = items.flatMap((item) => item.split(/[\s,;]+/)).map((n) => n.trim().toLowerCase()).filter(Boolean);
  return [...new Set(names)].sort();
}

export interface NameListComparison {
  equal: boolean;
  missing: string[];
  unexpected: string[];
}

export function compareNameLists(answer: string | readonly string[], expected: readonly string[]): NameListComparison {
  const got = normaliseNameList(answer);
  const want = normaliseNameList(expected);
  const missing = want.filter((n) => !got.includes(n));
  const unexpected = got.filter((n) => !want.includes(n));
  return { equal: missing.length === 0 && unexpected.length === 0, missing, unexpected };
}

/**
 * A `docker network create` driver option as students may write it: `-o
 * com.docker.network.bridge.name=chat0`, `--opt=...`, quoted, or the bare key. Only the key
 * is kept, lower-cased.
 */
export function normaliseDockerOption(text: string): string {
  let option = text.trim().replace(/^["'`]+|["'`]+$/g, '').trim();
  option = option.replace(/^(?:-o|--opt)(?:\s*=\s*|\s+)?/i, '').trim();
  option = option.replace(/^["'`]+|["'`]+$/g, '');
  const eq = option.indexOf('=');
  if (eq >= 0) option = option.slice(0, eq);
  return option.trim().toLowerCase();
}
