/**
 * What lab containers use on an engine, for the lab guard (apps/worker/maintenance): the
 * size of each writable layer, and processes against the pids limit. Also whether the
 * engine can enforce a writable-layer size itself (StorageOpt `size`), which Docker's
 * overlay2 driver does only on xfs mounted with pquota: elsewhere (ext4 here) it refuses
 * the container, so the guard's measurement is the limit.
 */
import type { Logger } from '@nestjs/common';
import type Docker from 'dockerode';
import { engineMessage } from './docker-errors';
import { tpName } from './docker-specs';
import { LABEL_LAB, LABEL_NAME, type ContainerUsage } from './tenant-docker';

/** Whether the engine's storage driver may enforce a size; settled once per engine, refuted by a refusal. */
export class DiskQuotaProbe {
  private known?: Promise<boolean>;

  constructor(
    private readonly docker: Docker,
    private readonly logger: Logger,
  ) {}

  supported(): Promise<boolean> {
    this.known ??= this.docker.info().then(
      (info: { Driver?: string; DriverStatus?: [string, string][] }) => {
        const backing = info.DriverStatus?.find(([key]) => key === 'Backing Filesystem')?.[1];
        const maybe = info.Driver === 'overlay2' && backing === 'xfs';
        this.logger.log(`storage driver ${info.Driver} on ${backing ?? 'unknown'}: ${maybe ? 'trying a writable-layer size limit' : 'no size limit, the lab guard measures instead'}`);
        return maybe;
      },
      () => {
        this.known = undefined;
        return false;
      },
    );
    return this.known;
  }

  /** True (and remembered) when a create failed because the driver cannot enforce the size (xfs without pquota). */
  refutedBy(err: unknown): boolean {
    if (!/storage-?opt|quota/i.test(engineMessage(err))) return false;
    this.logger.warn(`engine refused a writable-layer size (${engineMessage(err)}): the lab guard measures instead`);
    this.known = Promise.resolve(false);
    return true;
  }
}

interface StatsSample {
  pids_stats?: { current?: number; limit?: number };
}

/** Every lab container carrying all `labels` (key=value), with its writable-layer size and, when running, its process count. */
export async function listUsage(docker: Docker, labels: string[], logger: Logger): Promise<ContainerUsage[]> {
  const listed = await docker.listContainers({ all: true, size: true, filters: { label: [LABEL_LAB, ...labels] } });
  return Promise.all(
    listed.map(async (c): Promise<ContainerUsage> => {
      const running = c.State === 'running';
      const usage: ContainerUsage = {
        id: c.Id,
        labId: c.Labels[LABEL_LAB],
        name: c.Labels[LABEL_NAME] ?? tpName(undefined, c.Names?.[0] ?? c.Id),
        running,
        sizeRwBytes: (c as { SizeRw?: number }).SizeRw ?? 0,
      };
      if (!running) return usage;
      try {
        // one-shot: the current values at once, without waiting for a second sample.
        const stats = (await docker.getContainer(c.Id).stats({ stream: false, 'one-shot': true } as { stream: false })) as StatsSample;
        usage.pids = stats.pids_stats?.current;
        usage.pidsLimit = stats.pids_stats?.limit;
      } catch (err) {
        logger.debug(`stats of ${c.Id.slice(0, 12)}: ${engineMessage(err)}`);
      }
      return usage;
    }),
  );
}
