/**
 * Removes what tests left on a Docker engine: every container, network and image that
 * carries `netlabs.test=<runId>` (or any netlabs.test label when no run id is given).
 * Objects of real labs never carry netlabs.test, so this cannot touch them.
 *
 * It talks to the engine with dockerode directly, not through the tenant layer, so that
 * it still cleans up when the layer under test is broken.
 *
 * In a suite:   afterAll(() => removeTestObjects(runId));
 * Standalone:   compile and run it (it imports nothing from the project), e.g.
 *   npx tsc --outDir /tmp/netlabs-sweep --module commonjs --target es2022 --esModuleInterop \
 *     --skipLibCheck --types node test/support/docker-cleanup.ts \
 *     && NODE_PATH=$PWD/node_modules node /tmp/netlabs-sweep/docker-cleanup.js [runId] [unix:///var/run/docker.sock]
 * (or add this file to tsconfig.build.json and run dist/test/support/docker-cleanup.js).
 */
import Docker from 'dockerode';

export const TEST_LABEL = 'netlabs.test';

export interface SweepCount {
  containers: number;
  networks: number;
  images: number;
}

function dockerFor(endpoint: string): Docker {
  if (endpoint.startsWith('unix://')) return new Docker({ socketPath: endpoint.slice('unix://'.length) });
  const url = new URL(endpoint.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port), protocol: 'http' });
}

const gone = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;
/** The engine is removing it already (the product's own teardown, racing the sweep). */
const beingRemoved = (err: unknown) => (err as { statusCode?: number }).statusCode === 409 && /already in progress/i.test(String(err));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Removes a container, or waits for the removal already going on; true when this call removed it. */
async function removeContainer(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
    return true;
  } catch (err) {
    if (gone(err)) return false;
    if (!beingRemoved(err)) throw err;
  }
  for (let waited = 0; waited < 30_000; waited += 250) {
    await sleep(250);
    try {
      await docker.getContainer(id).inspect();
    } catch (err) {
      if (gone(err)) return false;
      throw err;
    }
  }
  throw new Error(`container ${id.slice(0, 12)} was still being removed after 30 s`);
}

/**
 * @param runId the run's netlabs.test value; undefined sweeps every test object.
 * @param endpoint the engine (default: the local socket).
 */
export async function removeTestObjects(
  runId?: string,
  endpoint = process.env.NETLABS_TEST_DOCKER ?? 'unix:///var/run/docker.sock',
): Promise<SweepCount> {
  const docker = dockerFor(endpoint);
  const label = [runId ? `${TEST_LABEL}=${runId}` : TEST_LABEL];
  const count: SweepCount = { containers: 0, networks: 0, images: 0 };

  const containers = await docker.listContainers({ all: true, filters: { label } });
  // Every container is tried, and the networks after them, even when one fails: the first error is thrown at the end.
  const failures: unknown[] = [];
  const removed = await Promise.allSettled(containers.map((c) => removeContainer(docker, c.Id)));
  for (const result of removed) {
    if (result.status === 'rejected') failures.push(result.reason);
    else if (result.value) count.containers++;
  }

  const networks = await docker.listNetworks({ filters: { label } });
  for (const n of networks) {
    const network = docker.getNetwork(n.Id);
    try {
      // A container of someone else's still attached would block the removal.
      const info = await network.inspect();
      for (const id of Object.keys(info.Containers ?? {})) {
        await network.disconnect({ Container: id, Force: true }).catch(() => undefined);
      }
      await network.remove();
      count.networks++;
    } catch (err) {
      if (!gone(err)) failures.push(err);
    }
  }

  const images = await docker.listImages({ filters: { label } });
  for (const image of images) {
    try {
      await docker.getImage(image.Id).remove({ force: true });
      count.images++;
    } catch (err) {
      if (!gone(err)) failures.push(err);
    }
  }
  if (failures.length) throw failures[0];
  return count;
}

// Standalone sweep when compiled to CommonJS and run with node (see the top comment).
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  const [runId, endpoint] = process.argv.slice(2);
  removeTestObjects(runId || undefined, endpoint)
    .then((c) => console.log(`removed ${c.containers} containers, ${c.networks} networks, ${c.images} images`))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
