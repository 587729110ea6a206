import type { MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { LabEvent } from '../../../libs/events/lab-events';

export const LAB_STATUSES = ['provisioning', 'ready', 'failed', 'destroying', 'destroyed'] as const;
export type LabStatusName = (typeof LAB_STATUSES)[number];
export type StatusCounts = Record<LabStatusName, number>;

/** How many labs are in each status (every status present, 0 when none). */
export function countByStatus(labs: { status: string }[]): StatusCounts {
  const counts = Object.fromEntries(LAB_STATUSES.map((s) => [s, 0])) as StatusCounts;
  for (const lab of labs) if (lab.status in counts) counts[lab.status as LabStatusName]++;
  return counts;
}

/** A lab has settled once it is no longer provisioning: ready, failed, or already ending. */
const isSettled = (status: string) => status !== 'provisioning';

export interface ClassProgressSource {
  /** Every lab of the class with its status, from the database. */
  statuses(): Promise<{ id: string; status: string; failureReason?: string | null; endReason?: string | null }[]>;
  /** Lab events of every process (LabEvents.subscribe); returns the unsubscribe. */
  subscribe(handler: (event: LabEvent) => void): () => void;
}

/** How often the database is read again: the safety net for an event Redis lost. */
const RECHECK_MS = 2_000;
/** A comment now and then, so that proxies keep an idle stream open. */
const KEEPALIVE_MS = 15_000;

/**
 * The server-sent events of GET /classes/:id/events:
 *   progress  {counts, total}                    at once, then whenever the counts change
 *   lab       {labId, status, reason?}           once per lab, when it becomes ready or failed
 *                                                (labs settled before the stream opened included)
 *   settled   {counts, total}                    no lab is provisioning any more; the stream ends
 * Lab events come from LabEvents (published by the worker, whatever process runs it); the
 * database is read on opening (after subscribing, so nothing falls in between), after
 * each lab event of the class, and every RECHECK_MS.
 */
export function classProgressStream(classId: string, source: ClassProgressSource): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    const labIds = new Set<string>();
    const reported = new Set<string>();
    let lastCounts = '';
    let done = false;

    const reportLab = (labId: string, status: string, reason?: string | null) => {
      if (done || !isSettled(status) || reported.has(labId)) return;
      reported.add(labId);
      subscriber.next({ type: 'lab', data: { labId, status, ...(reason ? { reason } : {}) } });
    };

    const check = async () => {
      const labs = await source.statuses();
      if (done) return;
      for (const lab of labs) {
        labIds.add(lab.id);
        reportLab(lab.id, lab.status, lab.status === 'failed' ? lab.failureReason : undefined);
      }
      const counts = countByStatus(labs);
      const key = JSON.stringify(counts);
      if (key !== lastCounts) {
        lastCounts = key;
        subscriber.next({ type: 'progress', data: { counts, total: labs.length } });
      }
      if (labs.every((lab) => isSettled(lab.status))) {
        done = true;
        subscriber.next({ type: 'settled', data: { counts, total: labs.length } });
        subscriber.complete();
      }
    };
    const checkSafely = () =>
      check().catch((error: unknown) => {
        if (!done) subscriber.next({ type: 'warning', data: { message: `could not read the class's labs: ${error instanceof Error ? error.message : String(error)}` } });
      });

    const unsubscribe = source.subscribe((event) => {
      if (event.type !== 'lab-status' || done) return;
      if (event.classId !== classId && !labIds.has(event.labId)) return;
      reportLab(event.labId, event.status, event.reason);
      // The counts changed: read them (and end once no lab is provisioning).
      void checkSafely();
    });
    const recheck = setInterval(() => void checkSafely(), RECHECK_MS);
    const keepalive = setInterval(() => subscriber.next({ comment: 'keep-alive' }), KEEPALIVE_MS);
    void check().catch((error: unknown) => subscriber.error(error));

    return () => {
      done = true;
      unsubscribe();
      clearInterval(recheck);
      clearInterval(keepalive);
    };
  });
}
