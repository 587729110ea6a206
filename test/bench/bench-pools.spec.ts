import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FloorSubnets, requireLabRoom } from './bench-pools';

/** An engine whose networks hold these subnets. */
const engine = (...subnets: string[]) => ({ listNetworks: async () => subnets.map((Subnet) => ({ IPAM: { Config: [{ Subnet }] } })) }) as unknown as Docker;

describe('bench pools', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const key of ['LAB_SUBNET_POOL', 'LAB_PORT_MIN', 'LAB_PORT_MAX', 'BENCH_FLOOR_POOL']) delete process.env[key];
    process.env.LAB_SUBNET_POOL = '10.96.96.0/19';
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('the stack pool holds 2 /24s a lab; too small says which prefix would do', () => {
    expect(() => requireLabRoom(16, 'teardown')).not.toThrow();
    expect(() => requireLabRoom(50, 'teardown')).toThrow('teardown keeps 50 labs at once, but LAB_SUBNET_POOL=10.96.96.0/19 holds 32 /24s, room for 16 labs (2 /24s a lab): use a /17 or larger.');
    process.env.LAB_PORT_MIN = '23000';
    process.env.LAB_PORT_MAX = '23009';
    expect(() => requireLabRoom(11, 'steps')).toThrow(/LAB_PORT_MIN..LAB_PORT_MAX \(23000-23009\) holds 10 ports/);
  });

  it('the floor pool may not overlap the stack pool nor the default pools', async () => {
    process.env.BENCH_FLOOR_POOL = '10.96.0.0/16';
    await expect(FloorSubnets.open(engine(), 2, 'floor')).rejects.toThrow("overlaps the stack's LAB_SUBNET_POOL (10.96.96.0/19)");
    process.env.BENCH_FLOOR_POOL = '10.97.0.0/24';
    await expect(FloorSubnets.open(engine(), 2, 'floor')).rejects.toThrow("overlaps NetLabs' default pool (10.96.0.0/15)");
    process.env.BENCH_FLOOR_POOL = '10.99.4.0/22';
    await expect(FloorSubnets.open(engine(), 2, 'floor')).rejects.toThrow("overlaps the tests' default pool (10.98.0.0/15)");
    process.env.BENCH_FLOOR_POOL = '10.252.0.0/30';
    await expect(FloorSubnets.open(engine(), 2, 'floor')).rejects.toThrow('BENCH_FLOOR_POOL=10.252.0.0/30: subnet pool 10.252.0.0/30: prefix must be between /8 and /24');
  });

  it('skips every /24 an engine network overlaps and says when too few are left', async () => {
    process.env.BENCH_FLOOR_POOL = '10.252.0.0/22';
    // 10.252.1.0/24 exactly, and a /23 covering .2 and .3: only 10.252.0.0/24 is free.
    const floor = await FloorSubnets.open(engine('10.252.1.0/24', '10.252.2.0/23', '172.17.0.0/16', 'fd00::/64'), 1, 'floor');
    expect([floor.take(), floor.take()].map((s) => s.subnet)).toEqual(['10.252.0.0/24', '10.252.0.0/24']);
    expect(floor.take().gateway).toBe('10.252.0.1');
    await expect(FloorSubnets.open(engine('10.252.1.0/24', '10.252.2.0/23'), 100, 'the teardown floor')).rejects.toThrow(
      'the teardown floor needs 100 /24s at once, but BENCH_FLOOR_POOL=10.252.0.0/22 has 1 free (3 overlap networks on the engine)',
    );
  });

  it("create() takes the next /24 when the engine says one overlaps, and throws anything else", async () => {
    process.env.BENCH_FLOOR_POOL = '10.252.0.0/23';
    const floor = await FloorSubnets.open(engine(), 2, 'floor');
    const tried: string[] = [];
    const made = await floor.create(async ({ subnet }) => {
      tried.push(subnet);
      if (tried.length === 1) throw Object.assign(new Error('Command failed'), { stderr: 'Error response from daemon: Pool overlaps with other one on this address space' });
      return subnet;
    });
    expect(tried).toHaveLength(2);
    expect(made).toBe(tried[1]);
    expect(tried[0]).not.toBe(tried[1]);
    await expect(floor.create(async () => Promise.reject(new Error('bridge name in use')))).rejects.toThrow('bridge name in use');
  });
});
