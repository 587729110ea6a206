/**
 * IPv4 arithmetic for carving per-lab /24 subnets out of the configured pool.
 */

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export class SubnetPool {
  private readonly base: number;
  readonly size: number;

  constructor(cidr: string) {
    const [ip, bitsText] = cidr.split('/');
    const bits = Number(bitsText);
    if (!Number.isInteger(bits) || bits < 8 || bits > 24) throw new Error(`subnet pool ${cidr}: prefix must be between /8 and /24`);
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    this.base = (ipToInt(ip) & mask) >>> 0;
    this.size = 2 ** (24 - bits);
  }

  /** The i-th /24 of the pool, e.g. "10.96.4.0/24". */
  subnet(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new Error(`subnet index ${index} outside the pool`);
    return `${intToIp(this.base + index * 256)}/24`;
  }

  indexOf(subnet: string): number {
    return (ipToInt(subnet.split('/')[0]) - this.base) / 256;
  }
}

/** A random element of [0, size) not in `used`, or null when all are used. */
export function pickFreeIndex(size: number, used: Set<number>): number | null {
  if (used.size >= size) return null;
  for (let tries = 0; tries < 64; tries++) {
    const candidate = Math.floor(Math.random() * size);
    if (!used.has(candidate)) return candidate;
  }
  for (let i = 0; i < size; i++) if (!used.has(i)) return i;
  return null;
}
