/**
 * The contract between the API and the worker: queue names, job names and payloads.
 * Queue and job names are stored in Redis with every job: renaming one strands the jobs
 * already queued under the old name, so treat them as a public contract.
 */

export enum QueueName {
  /** Slow work on Docker hosts: provisioning and tearing down labs. */
  Labs = 'labs',
  /** Interactive work a student waits for: running and verifying steps. */
  Steps = 'steps',
  /** Periodic housekeeping: reaping expired labs, reconciling hosts. */
  Maintenance = 'maintenance',
  /** Scores passed back to LMSs (LTI AGS): slow, remote, retried with backoff. */
  Grades = 'grades',
}

export enum JobName {
  ProvisionLab = 'provision-lab',
  TeardownLab = 'teardown-lab',
  /** Every lab of a class at once (DELETE /classes/:id): one job, bulk engine and database work. */
  TeardownClass = 'teardown-class',
  ResetLab = 'reset-lab',
  RunStep = 'run-step',
  VerifyStep = 'verify-step',
  ReapLabs = 'reap-labs',
  Reconcile = 'reconcile',
  /** Tops up (or trims) every host's warm pool to WARM_LABS_PER_HOST; cheap, runs on the labs queue. */
  RefillWarmLabs = 'refill-warm-labs',
  PostGrade = 'post-grade',
}

/** `trimmed`: a warm lab nobody claimed, removed because the pool got smaller. */
export type EndReason = 'expired' | 'idle' | 'deleted' | 'host-lost' | 'failed' | 'reset' | 'trimmed';

/**
 * What a step job needs of its lab, as the API read it when it queued the job (one query
 * in the API instead of the worker reading the lab again). The worker still makes sure
 * the lab is ready and of this generation before it acts or stores anything. Absent in
 * jobs queued before it existed: the worker reads the lab then.
 */
export interface StepJobLab {
  classId: string;
  prefix: string;
  hostId: string;
  generation: number;
  labDefinitionId: string;
  allocations: { purpose: string; value: string }[];
}

export interface JobPayloads {
  [JobName.ProvisionLab]: { labId: string };
  [JobName.TeardownLab]: { labId: string; reason: EndReason };
  [JobName.TeardownClass]: { classId: string; reason: EndReason };
  /** A fresh lab for the student, progress kept; with replay, the passed steps' solutions run again. */
  [JobName.ResetLab]: { labId: string; replay: boolean };
  [JobName.RunStep]: { labId: string; stepId: string; lab?: StepJobLab };
  /** `lang`: of the check messages (absent in jobs queued before it existed: English). */
  [JobName.VerifyStep]: { labId: string; stepId: string; answer?: unknown; lang?: 'fr' | 'en'; lab?: StepJobLab };
  [JobName.ReapLabs]: Record<string, never>;
  [JobName.Reconcile]: Record<string, never>;
  [JobName.RefillWarmLabs]: Record<string, never>;
  /** One LtiGradePost row to send (its score, line item and outcome are in the row). */
  [JobName.PostGrade]: { postId: string };
}

export interface CheckResult {
  name: string;
  passed: boolean;
  message: string;
}

export interface JobResults {
  [JobName.ProvisionLab]: { outcome: 'ready' | 'failed' | 'skipped'; reason?: string };
  [JobName.TeardownLab]: { outcome: 'destroyed' | 'skipped'; removed?: { containers: number; networks: number }; leaked?: number };
  /** `labs`: how many were destroyed; `leaked`: how many of them left an object the engine refused to remove. */
  [JobName.TeardownClass]: { outcome: 'destroyed' | 'skipped'; labs: number; leaked: number; removed: { containers: number; networks: number } };
  [JobName.ResetLab]: { outcome: 'ready' | 'failed' | 'skipped'; replayed: string[]; reason?: string };
  [JobName.RunStep]: { step: string; output: string; succeeded: boolean; error?: string };
  [JobName.VerifyStep]: { step: string; passed: boolean; checks: CheckResult[]; attemptId: string };
  [JobName.ReapLabs]: { outcome: 'done'; reaped: number };
  [JobName.Reconcile]: { outcome: 'done'; removed: number; repaired: number; marked: number };
  [JobName.RefillWarmLabs]: { outcome: 'done'; created: number; trimmed: number };
  [JobName.PostGrade]: { outcome: 'sent' | 'failed' | 'skipped'; reason?: string };
}

export type JobOf<N extends JobName> = { name: N; data: JobPayloads[N] };
export type AnyJob = { [N in JobName]: JobOf<N> }[JobName];

/** Which queue carries which job. */
export const QUEUE_OF: Record<JobName, QueueName> = {
  [JobName.ProvisionLab]: QueueName.Labs,
  [JobName.TeardownLab]: QueueName.Labs,
  [JobName.TeardownClass]: QueueName.Labs,
  [JobName.ResetLab]: QueueName.Labs,
  [JobName.RunStep]: QueueName.Steps,
  [JobName.VerifyStep]: QueueName.Steps,
  [JobName.ReapLabs]: QueueName.Maintenance,
  [JobName.Reconcile]: QueueName.Maintenance,
  [JobName.RefillWarmLabs]: QueueName.Labs,
  [JobName.PostGrade]: QueueName.Grades,
};

/**
 * A job error that retrying cannot fix (a missing image, a bad definition): the
 * processor marks the lab failed at once instead of burning its retries.
 */
export class PermanentJobError extends Error {}
