import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { HOST_SLOT_RENEW_MS, HostSlots, type HostSlotStore } from '../../../libs/queue/host-slots';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import { HostPlacementService, NoHostError } from './host-placement.service';
import { HostFullError, ProvisioningService } from './provisioning.service';

/** How long a job whose host has no free slot waits in the queue before it is tried again (plus up to as much at random). */
export const HOST_BUSY_DELAY_MS = 1_000;

/** What the gate needs of the job (a BullMQ Job; tests give a fake). */
export type GatedJob = Pick<Job, 'id' | 'moveToDelayed'>;

/** What the gate needs of the placement and provisioning (tests give fakes). */
export interface GatePlacement {
  isDown(hostId: string): Promise<boolean>;
  candidates(): Promise<{ ids: string[]; skipped: string[] }>;
  answers(hostId: string): Promise<string | null>;
}
export interface GateLabs {
  findForProvisioning(id: string): Promise<{ id: string; hostId: string | null; status: string } | null>;
}
export interface GatePlacer {
  place(lab: { id: string; hostId: string | null }, chosen?: string): Promise<string>;
}

/**
 * Runs a lab's provision, reset or teardown job holding one of its host's slots
 * (HostSlots, HOST_PROVISION_CONCURRENCY per host over every worker). A lab not placed
 * yet is placed here, on the host with the most places left that has a slot free; when
 * the host (or every host with room) has none, or does not answer, the job is moved back
 * to the queue, delayed, and the worker slot goes to other work: a busy engine never
 * starves the others, and a lab waits out an engine restart instead of failing.
 * The slot's lease is renewed while the job runs and given back when it ends.
 */
@Injectable()
export class HostJobGate {
  private readonly logger = new Logger(HostJobGate.name);

  constructor(
    @Inject(HostSlots) private readonly slots: HostSlotStore,
    @Inject(HostPlacementService) private readonly placement: GatePlacement,
    @Inject(LabRepository) private readonly labs: GateLabs,
    @Inject(ProvisioningService) private readonly placer: GatePlacer,
  ) {}

  /**
   * @param places whether the job may place the lab (provision, reset); a teardown of a lab
   *   with no host, or on a host marked down, touches no engine and runs without a slot.
   */
  async run<T>(job: GatedJob, token: string | undefined, labId: string, places: boolean, work: () => Promise<T>): Promise<T> {
    const lab = await this.labs.findForProvisioning(labId);
    // Nothing to do on an engine (the job skips it): never place a lab that is no longer provisioning.
    if (!lab || (places && lab.status !== 'provisioning')) return work();
    const holder = `${job.id ?? 'job'}:${randomUUID()}`;
    let hostId: string | null = null;
    if (lab.hostId && !(await this.placement.isDown(lab.hostId))) {
      if (await this.slots.take(lab.hostId, holder)) hostId = lab.hostId;
      else return this.delay(job, token, `host ${lab.hostId} is busy`);
    } else if (!places) {
      return work();
    } else {
      hostId = await this.placeWithSlot(lab, holder, job, token);
    }
    const renew = setInterval(() => {
      this.slots.renew(hostId!, holder).catch((error: unknown) => this.logger.warn(`could not renew a slot of host ${hostId}: ${String(error)}`));
    }, HOST_SLOT_RENEW_MS);
    renew.unref?.();
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await this.slots.release(hostId, holder).catch((error: unknown) => this.logger.warn(`could not give back a slot of host ${hostId} (it expires by itself): ${String(error)}`));
    }
  }

  /** Places the lab on the first host with room, an answering engine and a free slot; returns it with the slot held. */
  private async placeWithSlot(lab: { id: string; hostId: string | null }, holder: string, job: GatedJob, token: string | undefined): Promise<string> {
    const { ids, skipped } = await this.placement.candidates();
    let busy = 0;
    const silent: string[] = [];
    for (const id of ids) {
      const error = await this.placement.answers(id);
      if (error) {
        skipped.push(`${id}: ${error}`);
        silent.push(id);
        continue;
      }
      if (!(await this.slots.take(id, holder))) {
        busy++;
        continue;
      }
      let placed: string;
      try {
        placed = await this.placer.place(lab, id);
      } catch (error) {
        await this.slots.release(id, holder);
        // Filled by labs placed at the same moment: the next host with room.
        if (error instanceof HostFullError) {
          skipped.push(`${id}: full`);
          continue;
        }
        throw error;
      }
      if (placed === id) return id;
      // Another job placed the lab meanwhile: its host's slot, not this one's.
      await this.slots.release(id, holder);
      if (await this.slots.take(placed, holder)) return placed;
      return this.delay(job, token, `host ${placed} is busy`);
    }
    if (busy) return this.delay(job, token, `every host with room is busy (${busy})`);
    // Hosts with room that do not answer right now (an engine restarting) are waited for as
    // busy ones are, not failed in a few retries: until the reconciler marks them down, when
    // they are no longer candidates and the lab fails as with no room.
    if (silent.length) return this.delay(job, token, `no host with room answers now (${silent.join(', ')})`);
    throw new NoHostError(skipped);
  }

  private async delay(job: GatedJob, token: string | undefined, why: string): Promise<never> {
    this.logger.debug(`job ${job.id}: ${why}, back in the queue`);
    await job.moveToDelayed(Date.now() + HOST_BUSY_DELAY_MS + Math.floor(Math.random() * HOST_BUSY_DELAY_MS), token);
    throw new DelayedError();
  }
}
