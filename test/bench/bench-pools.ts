/**
 * Address room for the benchmark, checked before a scenario starts so a pool too small is
 * a clear error instead of a 503 (or an engine refusal) minutes into a run.
 *
 * - The stack's own labs: 2 /24s of LAB_SUBNET_POOL (bridge and chat) and 1 port of
 *   LAB_PORT_MIN..LAB_PORT_MAX each, on the one engine (`requireLabRoom`).
 * - The floors (the same Docker work done without NetLabs): subnets out of
 *   BENCH_FLOOR_POOL (`FloorSubnets`), which may overlap neither the stack's pool nor
 *   NetLabs' or the tests' default pool (a NetLabs or a test run on the same engine), and
 *   skip every /24 a network on the engine overlaps. Its default, 10.252.0.0/16, is outside
 *   the fence (infra/isolation.sh, 10.96.0.0/14): the fence is all taken by those two
 *   default pools, and it changes nothing the floors measure (its rules are per pool
 *   and bridge-name wildcard, not per network, and no floor sends traffic it would stop).
 */
import type Docker from 'dockerode';
import { intToIp, ipToInt, SubnetPool } from '../../libs/allocation/address-pool';
import { DEFAULT_LAB_SUBNET_POOL, loadConfig } from '../../libs/config/app-config';

/** The tests' and the benchmark's default LAB_SUBNET_POOL (as infra/test.sh). */
export const TESTS_SUBNET_POOL = '10.98.0.0/15';
export const DEFAULT_FLOOR_POOL = '10.252.0.0/16';

interface Range {
  first: number;
  last: number;
}

function rangeOf(cidr: string): Range {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip ?? '') || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not a CIDR: ${cidr}`);
  const size = 2 ** (32 - bits);
  const first = Math.floor(ipToInt(ip) / size) * size;
  return { first, last: first + size - 1 };
}

const overlap = (a: Range, b: Range) => a.first <= b.last && b.first <= a.last;

/** The smallest prefix whose /24s hold `count` of them, e.g. 100 -> 17. */
const prefixFor = (count: number) => 24 - Math.ceil(Math.log2(Math.max(1, count)));

/**
 * Throws, saying what to change, when the stack's pools cannot hold `labs` labs at once
 * (`what`: the scenario, for the message). Reads the settings as the stack's processes do.
 */
export function requireLabRoom(labs: number, what: string): void {
  const config = loadConfig({ ...process.env, ADMIN_TOKEN: process.env.ADMIN_TOKEN ?? 'bench-room-check-only' });
  const subnets = new SubnetPool(config.LAB_SUBNET_POOL).size;
  const ports = config.LAB_PORT_MAX - config.LAB_PORT_MIN + 1;
  const problems: string[] = [];
  if (subnets < labs * 2) {
    problems.push(`LAB_SUBNET_POOL=${config.LAB_SUBNET_POOL} holds ${subnets} /24s, room for ${Math.floor(subnets / 2)} labs (2 /24s a lab): use a /${prefixFor(labs * 2)} or larger`);
  }
  if (ports < labs) problems.push(`LAB_PORT_MIN..LAB_PORT_MAX (${config.LAB_PORT_MIN}-${config.LAB_PORT_MAX}) holds ${ports} ports, one a lab`);
  if (problems.length) throw new Error(`${what} keeps ${labs} labs at once, but ${problems.join('; and ')}.`);
}

/**
 * /24s for a floor's networks out of BENCH_FLOOR_POOL. `take()` hands them out in turn
 * from a random place, wrapping around (a scenario removes its networks before it needs
 * more than `needed` at once); `create()` retries with the next one when the engine says a
 * subnet overlaps a network another run created meanwhile.
 */
export class FloorSubnets {
  private next: number;

  private constructor(
    readonly pool: string,
    private readonly free: string[],
  ) {
    this.next = Math.floor(Math.random() * free.length);
  }

  /** The free /24s of BENCH_FLOOR_POOL now; throws when fewer than `needed` (`what`: the floor, for the message). */
  static async open(docker: Docker, needed: number, what: string): Promise<FloorSubnets> {
    const pool = process.env.BENCH_FLOOR_POOL ?? DEFAULT_FLOOR_POOL;
    let range: Range;
    let subnets: SubnetPool;
    try {
      range = rangeOf(pool);
      subnets = new SubnetPool(pool);
    } catch (error) {
      throw new Error(`BENCH_FLOOR_POOL=${pool}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const reserved = [
      ['the stack\'s LAB_SUBNET_POOL', process.env.LAB_SUBNET_POOL ?? DEFAULT_LAB_SUBNET_POOL],
      ['NetLabs\' default pool', DEFAULT_LAB_SUBNET_POOL],
      ['the tests\' default pool', TESTS_SUBNET_POOL],
    ];
    for (const [name, cidr] of reserved) {
      if (overlap(range, rangeOf(cidr))) throw new Error(`BENCH_FLOOR_POOL=${pool} overlaps ${name} (${cidr}): choose a range outside it (default ${DEFAULT_FLOOR_POOL})`);
    }
    const taken = (await docker.listNetworks()).flatMap((n) => (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet && c.Subnet.includes('.') ? [rangeOf(c.Subnet)] : [])));
    const free = Array.from({ length: subnets.size }, (_, i) => subnets.subnet(i)).filter((s) => !taken.some((t) => overlap(t, rangeOf(s))));
    if (free.length < needed) {
      throw new Error(
        `${what} needs ${needed} /24s at once, but BENCH_FLOOR_POOL=${pool} has ${free.length} free ` +
          `(${subnets.size - free.length} overlap networks on the engine): set BENCH_FLOOR_POOL to a /${prefixFor(needed + subnets.size - free.length)} or larger, ` +
          `outside LAB_SUBNET_POOL and 10.96.0.0/14`,
      );
    }
    return new FloorSubnets(pool, free);
  }

  /** The next /24 and its gateway (first host). */
  take(): { subnet: string; gateway: string; index: number } {
    const index = this.next++ % this.free.length;
    const subnet = this.free[index];
    return { subnet, gateway: intToIp(ipToInt(subnet.split('/')[0]) + 1), index };
  }

  /** Runs `create` with the next /24, again with the one after when the engine says it overlaps (another run's network). */
  async create<T>(create: (subnet: { subnet: string; gateway: string; index: number }) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await create(this.take());
      } catch (error) {
        const said = `${(error as { stderr?: string }).stderr ?? ''} ${error instanceof Error ? error.message : String(error)}`;
        if (!/overlaps/i.test(said) || attempt >= 8) throw error;
      }
    }
  }
}
