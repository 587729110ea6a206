/**
 * What reading a lab network's settings costs the engine (not part of `npm run bench`):
 *
 *   npm run build && node dist/test/bench/engine-reads.js [networks=120] [reads=50] [rounds=30]
 *
 * Creates `networks` empty networks labelled like labs' bridges on the local engine (subnets
 * from BENCH_FLOOR_POOL, 256 at most by default), then, `rounds` times each, `reads` reads at
 * once of as many labs' bridges, three ways:
 *   inspect  one network inspect by name per read (what a question fact cost before)
 *   labels   one list call per read, filtered by the lab's labels
 *   shared   one list call per round, of every network named bridge (NetworkOps.settings' batch)
 * and prints the wall time of a round and dockerd's CPU per round (from /proc, its pid from
 * DOCKERD_PIDFILE, default /var/run/docker.pid). The networks are removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { FloorSubnets } from './bench-pools';
import { cpuMs } from './stats';

const BENCH_LABEL = 'netlabs.bench';

async function main(): Promise<void> {
  const [networks, reads, rounds] = [120, 50, 30].map((fallback, i) => Number(process.argv[2 + i] ?? fallback));
  if (reads > networks) throw new Error(`reads (${reads}) cannot be more than networks (${networks})`);
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const pid = Number(readFileSync(process.env.DOCKERD_PIDFILE ?? '/var/run/docker.pid', 'utf8').trim());
  const runId = randomBytes(4).toString('hex');
  const subnets = await FloorSubnets.open(docker, networks, 'engine-reads');
  const names = Array.from({ length: networks }, (_, i) => ({ name: `nlbench-${runId}-${i}`, lab: `bench-lab-${runId}-${i}` }));
  try {
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(
        names.slice(i, i + 20).map(({ name, lab }) =>
          docker.createNetwork({ Name: name, Labels: { [BENCH_LABEL]: runId, 'netlabs.lab': lab, 'netlabs.name': 'bridge' }, IPAM: { Driver: 'default', Config: [{ Subnet: subnets.take().subnet }] } }),
        ),
      );
    }
    const picked = names.slice(0, reads);
    const ways: Record<string, () => Promise<unknown>> = {
      inspect: () => Promise.all(picked.map(({ name }) => docker.getNetwork(name).inspect())),
      labels: () => Promise.all(picked.map(({ lab }) => docker.listNetworks({ filters: { label: [`netlabs.lab=${lab}`, 'netlabs.name=bridge'] } }))),
      shared: () => docker.listNetworks({ filters: { label: ['netlabs.name=bridge'] } }),
    };
    console.log(`${networks} networks on the engine, ${reads} reads at once, ${rounds} rounds each way (interleaved twice)`);
    for (const pass of [1, 2]) {
      for (const [way, round] of Object.entries(ways)) {
        await round(); // untimed
        const [cpu0, t0] = [cpuMs(pid), performance.now()];
        for (let r = 0; r < rounds; r++) await round();
        const [cpu, wall] = [(cpuMs(pid) - cpu0) / rounds, (performance.now() - t0) / rounds];
        console.log(`  pass ${pass} ${way.padEnd(8)} a round: ${wall.toFixed(1).padStart(6)} ms wall, ${cpu.toFixed(1).padStart(6)} ms of dockerd CPU`);
      }
    }
  } finally {
    const left = await docker.listNetworks({ filters: { label: [`${BENCH_LABEL}=${runId}`] } });
    await Promise.all(left.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
