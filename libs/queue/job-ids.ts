import type { EndReason } from './jobs';

/** What a lab job id is made of: the lab and its generation (bumped by every reset). */
export interface LabGeneration {
  id: string;
  generation: number;
}

/**
 * Ids of the lab jobs that must not run twice at once. BullMQ ignores an add whose id it
 * still knows, finished jobs included (kept an hour), which is what dedupes a repeated
 * DELETE. But an id that recurs for the same lab after a reset would then silently drop
 * the new lab's teardown, so every id carries the lab's generation: a lab that was reset
 * gets fresh ids, a repeated request within one generation still dedupes.
 * These ids are stored in Redis: treat their shape as part of the queue contract.
 */
export const labJobIds = {
  provision: (lab: LabGeneration) => `provision-${lab.id}-g${lab.generation}`,
  reset: (lab: LabGeneration) => `reset-${lab.id}-g${lab.generation}`,
  teardown: (lab: LabGeneration, reason: EndReason) => `teardown-${lab.id}-g${lab.generation}-${reason}`,
};

/**
 * Id of a class's teardown job: one per class (a class, once deleted, is never brought
 * back, so it needs no generation). Stored in Redis: part of the queue contract.
 */
export const classJobIds = {
  teardown: (classId: string) => `teardown-class-${classId}`,
};
