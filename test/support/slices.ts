/** The `index`-th (1-based) of `count` equal slices of an IPv4 pool (count a power of two). */
export function sliceOfPool(cidr: string, count: number, index: number): string {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`LAB_SUBNET_POOL ${cidr} is not an IPv4 CIDR`);
  const bits = Math.log2(count);
  if (!Number.isInteger(bits)) throw new Error(`${count} e2e workers: use a power of two`);
  const length = Number(match[5]) + bits;
  if (length > 22) throw new Error(`LAB_SUBNET_POOL ${cidr} is too small to share between ${count} e2e workers: use a /${22 - bits} or larger`);
  const base = match.slice(1, 5).reduce((n, octet) => n * 256 + Number(octet), 0);
  const start = base + (index - 1) * 2 ** (32 - length);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join('.')}/${length}`;
}

/** The `index`-th (1-based) of `count` equal slices of a port range. */
export function sliceOfPorts(min: number, max: number, count: number, index: number): [number, number] {
  const size = Math.floor((max - min + 1) / count);
  return [min + (index - 1) * size, min + index * size - 1];
}
