import { type Admission, type LedgerDb, liveLabsByHost, lockPlacement } from '../persistence/placement-ledger';
import { type CapacitySettings, freePlaces, type HostCapacity } from './capacity';

/** What admission counts against: the capacity settings, and the deployment whose labs hold the places. */
export type AdmissionSettings = CapacitySettings & { DEPLOYMENT_ID: string };

/** The hosts that are up cannot take every new lab: `unplaced` of `requested` have no place. */
export class PlacementRefusedError extends Error {
  constructor(
    readonly unplaced: number,
    readonly requested: number,
    readonly free: number,
  ) {
    super(`${unplaced} of ${requested} new labs could not be placed: the Docker hosts that are up have room for ${free} more`);
  }
}

/**
 * The admission of new labs, run inside the seating transaction (ClassRepository.seat):
 * under the placement lock, the deployment's live labs are counted and compared with the
 * capacities of the hosts that are up (read before the transaction). Refuses with PlacementRefusedError
 * when they cannot all be placed.
 */
export function admissionFor(capacities: HostCapacity[], settings: AdmissionSettings): Admission {
  return async (db, newLabs) => {
    await lockPlacement(db);
    const live = await liveLabsByHost(db, settings.DEPLOYMENT_ID);
    // The new labs are already written (unplaced) in this transaction: counted once, as the request.
    live.set(null, Math.max(0, (live.get(null) ?? 0) - newLabs));
    const { total } = freePlaces(capacities, live, settings);
    if (newLabs > total) throw new PlacementRefusedError(newLabs - total, newLabs, total);
  };
}

/**
 * Places warm labs may take on `hostId` now, under the placement lock (WarmLabRepository.topUpOrTrim):
 * the host's places left, never those of labs admitted and not placed yet.
 */
export function warmRoomFor(capacities: HostCapacity[], hostId: string, settings: AdmissionSettings): (db: LedgerDb) => Promise<number> {
  return async (db) => {
    await lockPlacement(db);
    const free = freePlaces(capacities, await liveLabsByHost(db, settings.DEPLOYMENT_ID), settings);
    return Math.min(free.perHost.get(hostId) ?? 0, free.total);
  };
}
