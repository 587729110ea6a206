import { BadRequestException, ConflictException, ForbiddenException, HttpException, HttpStatus, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { labValuesFrom } from '../../../libs/allocation/lab-resources';
import { APP_CONFIG, type AppConfig, urlHost } from '../../../libs/config/app-config';
import { LabEvents } from '../../../libs/events/lab-events';
import { AnswerFence } from '../../../libs/labs/answers/answer-fence';
import type { LabDefinition, Lang } from '../../../libs/labs/lab-definition';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { DEFAULT_TIMEOUTS } from '../../../libs/labs/lab-context';
import { LabRunner } from '../../../libs/labs/lab-runner';
import { Metrics } from '../../../libs/metrics/metrics';
import { LabContextFactory } from '../../../libs/steps/lab-context.factory';
import { LabChangedError, StepVerification } from '../../../libs/steps/step-verification';
import { AuditRepository } from '../../../libs/persistence/audit.repository';
import { isClaimed, type LabSnapshot, LabRepository, LabStatus } from '../../../libs/persistence/lab.repository';
import { ProgressRepository } from '../../../libs/persistence/progress.repository';
import { StudentRepository } from '../../../libs/persistence/student.repository';
import { hashToken, newStudentToken } from '../common/tokens';
import { JobFailedError, JobQueue } from '../../../libs/queue/job-queue.service';
import { LabStepSlots } from '../../../libs/queue/lab-step-slots';
import { labJobIds } from '../../../libs/queue/job-ids';
import { JobName, type JobPayloads, QueueName, type StepJobLab } from '../../../libs/queue/jobs';
import { type Actor, describeActor } from '../common/actor';
import { requireLabAccess } from '../common/access';
import { InternalFailure } from '../common/internal-failure';
import { studentLabUrl } from '../common/student-link';
import { classSettings, studentMayRun, studentRunRefusal } from '../classes/class-settings';

type Allocations = { purpose: string; value: string }[];

@Injectable()
export class LabsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly catalogue: LabCatalogue,
    private readonly runner: LabRunner,
    private readonly queue: JobQueue,
    private readonly students: StudentRepository,
    private readonly slots: LabStepSlots,
    private readonly events: LabEvents,
    private readonly progress: ProgressRepository,
    private readonly audit: AuditRepository,
    private readonly contexts: LabContextFactory,
    private readonly verification: StepVerification,
    private readonly metrics: Metrics,
  ) {}

  /** `lang`: the student's choice for this request; the class's language otherwise. */
  async get(actor: Actor, labId: string, requested?: Lang) {
    const lab = await this.load(actor, labId, { instructors: true });
    const definition = this.catalogue.get(lab.labDefinitionId);
    const progress = new Map(lab.steps.map((p) => [p.stepId, p]));
    const settings = classSettings(lab.class);
    const lang = requested ?? settings.language;
    const values = labValuesFrom(lab.allocations, this.config.LAB_PUBLIC_HOST);
    const rendered = definition && values ? this.runner.renderInstructions(definition, values, lang) : null;
    const fence = this.fenceFor(actor, lab.allocations, definition, lang, passedOf(lab.steps));
    const failures = actor.kind === 'student' ? await this.progress.failedVerifiesByStep(labId) : new Map<string, number>();
    const body = {
      id: lab.id,
      status: lab.status,
      labDefinitionId: lab.labDefinitionId,
      studentExternalId: lab.student.externalId,
      hostId: lab.hostId,
      failureReason: lab.failureReason,
      endReason: lab.endReason,
      createdAt: lab.createdAt,
      readyAt: lab.readyAt,
      expiresAt: lab.expiresAt,
      language: lang,
      /** Who is reading: the student page shows a read-only view to anyone but the lab's student. */
      viewer: actor.kind,
      runPolicy: { policy: settings.runPolicy, afterFailures: settings.runAfterFailures },
      values: values ? fence.values(values) : null,
      /** Addresses a student's browser opens (2a: mon-serveur's published port). */
      links: values ? { httpd: `http://${urlHost(values.publicHost)}:${values.httpdPort}/` } : null,
      steps: (definition?.steps ?? []).map((step) => ({
        id: step.id,
        title: step.title[lang],
        kind: step.kind,
        status: progress.get(step.id)?.status ?? 'pending',
        attempts: progress.get(step.id)?.attempts ?? 0,
        passedWith: progress.get(step.id)?.status === 'passed' ? (progress.get(step.id)?.passedWith ?? 'own-work') : null,
        /** Whether this caller may run the step's solution now (the admin always may; a dashboard link only reads). */
        canRun: actor.kind === 'admin' || (actor.kind === 'student' && studentMayRun(settings, failures.get(step.id) ?? 0)),
        instructions: rendered?.steps.find((s) => s.id === step.id)?.instructions ?? null,
      })),
      instructions: rendered?.markdown ?? null,
    };
    return fence.redactDeep(body);
  }

  async remove(actor: Actor, labId: string) {
    const lab = await this.load(actor, labId, { instructors: true });
    await this.queue.enqueue(JobName.TeardownLab, { labId, reason: 'deleted' }, { jobId: labJobIds.teardown(lab, 'deleted') });
    return { id: labId, status: 'destroying' };
  }

  /**
   * A fresh lab for the student (202: provisioning runs on the worker), progress kept unless
   * an instructor asks to clear it (`clearProgress`: every step pending, attempts gone).
   */
  async reset(actor: Actor, labId: string, replay: boolean, clearProgress = false) {
    const lab = await this.load(actor, labId, { instructors: true });
    if (clearProgress && actor.kind === 'student') throw new ForbiddenException('only an instructor can clear a lab\'s progress');
    const generation = await this.labs.beginReset(labId);
    if (generation === null) throw this.whyNoReset(lab);
    if (clearProgress) {
      const cleared = await this.progress.clearLab(labId);
      // The attempts are gone from the tables: the audit trail keeps what was cleared.
      await this.audit.record({ actor: describeActor(actor), action: 'clear-progress', classId: lab.classId, labId, detail: cleared });
    } else {
      // A fresh start: a pass after this reset is the student's own unless they run the solution again.
      await this.progress.clearSolutionRuns(labId);
    }
    await this.queue.enqueue(JobName.ResetLab, { labId, replay }, { jobId: labJobIds.reset({ id: labId, generation }) });
    return { id: labId, status: 'provisioning', replay, clearProgress };
  }

  /** Moves a lab's expiry later (instructors): the only way past the class's lab TTL. */
  async extend(actor: Actor, labId: string, minutes: number) {
    await this.requireInstructorOf(actor, labId);
    const expiresAt = await this.labs.extend(labId, minutes);
    if (!expiresAt) throw new NotFoundException(`lab ${labId} not found or its class was deleted`);
    return { id: labId, expiresAt };
  }

  /** A new token for the lab's student, returned once; the old one stops working, and so do the terminals it opened. */
  async rotateToken(actor: Actor, labId: string) {
    await this.requireInstructorOf(actor, labId);
    const token = newStudentToken();
    if (!(await this.students.rotateToken(labId, hashToken(token)))) throw new NotFoundException(`lab ${labId} not found or its class was deleted`);
    await this.events.publish({ type: 'token-revoked', labId, why: 'rotated' });
    return { id: labId, token, url: studentLabUrl(this.config, labId, token) };
  }

  async revokeToken(labId: string) {
    if (!(await this.students.revokeToken(labId))) throw new NotFoundException(`lab ${labId} not found`);
    await this.events.publish({ type: 'token-revoked', labId, why: 'revoked' });
    return { id: labId, revoked: true };
  }

  /** Runs a step's reference solution on the worker and waits for its output (or answers pending). */
  async runStep(actor: Actor, labId: string, stepId: string, lang?: Lang) {
    const { lab, definition } = await this.readyLabWithStep(actor, labId, stepId);
    if (actor.kind === 'student') {
      const refusal = studentRunRefusal(classSettings(lab.class), stepId, await this.progress.failedVerifies(labId, stepId));
      if (refusal) throw new ForbiddenException(refusal);
    }
    // Recorded when asked, before the job: whatever the run shows, a pass after it is not the student's alone.
    // (The same statement marks the lab active.)
    await this.progress.markSolutionRun(labId, stepId);
    const outcome = await this.stepJob(JobName.RunStep, { labId, stepId, lab: jobLab(lab) });
    if (!outcome.done) return { status: 202, body: this.pending(labId, stepId, outcome.jobId) };
    // A run passes nothing: the steps passed when the request came in are still the ones.
    const fence = this.fenceFor(actor, lab.allocations, definition, lang ?? classSettings(lab.class).language, lab.passedSteps, stepId);
    return { status: 200, body: fence.redactDeep(outcome.result) };
  }

  /**
   * Verifies a step against the live lab and stores the attempt (StepVerification): here when
   * its checks only read the engine (verifyHere), else on the worker.
   */
  async verifyStep(actor: Actor, labId: string, stepId: string, answer: unknown, lang?: Lang) {
    const { lab, definition } = await this.readyLabWithStep(actor, labId, stepId);
    const problem = this.runner.validateAnswer(definition, stepId, answer);
    if (problem) throw new BadRequestException(problem);
    const language = lang ?? classSettings(lab.class).language;
    const here = jobLab(lab);
    const outcome =
      here && this.verifiesHere(definition, stepId)
        ? { done: true as const, result: await this.verifyHere(labId, stepId, answer, language, definition, here) }
        : await this.stepJob(JobName.VerifyStep, { labId, stepId, answer, lang: language, lab: here });
    if (!outcome.done) return { status: 202, body: this.pending(labId, stepId, outcome.jobId) };
    const { attemptId: _attemptId, ...result } = outcome.result;
    // A step passed just now shows its own answer. The steps passed when the request came in,
    // plus this one when it passed: a step once passed stays passed, so this never shows more
    // than the stored progress would (a pass by another request meanwhile shows next time).
    const passed = result.passed ? [...lab.passedSteps, stepId] : lab.passedSteps;
    const fence = this.fenceFor(actor, lab.allocations, definition, language, passed);
    return { status: 200, body: fence.redactDeep(result) };
  }

  /** The result of a run or verify that was still going when the API answered 202. */
  async jobResult(actor: Actor, labId: string, jobId: string, lang?: Lang) {
    const lab = await this.load(actor, labId);
    const job = await this.queue.status(QueueName.Steps, jobId);
    const data = job.data as { labId?: string; stepId?: string } | undefined;
    if (job.state === 'unknown' || data?.labId !== labId) throw new NotFoundException(`job ${jobId} not found for lab ${labId}`);
    if (job.state === 'completed') {
      const { attemptId: _attemptId, ...result } = job.result as Record<string, unknown>;
      const reveal = job.name === JobName.RunStep ? data.stepId : undefined;
      const fence = this.fenceFor(actor, lab.allocations, this.catalogue.get(lab.labDefinitionId), lang ?? classSettings(lab.class).language, passedOf(lab.steps), reveal);
      return { state: 'completed', result: fence.redactDeep(result) };
    }
    if (job.state === 'failed') return { state: 'failed', step: data.stepId, message: job.failedReason };
    return { state: 'pending', step: data.stepId };
  }

  /**
   * Queues a run/verify in one of the lab's slots (the worker frees it when the job ends)
   * and waits for its result; 429 when the lab already has STEP_JOBS_PER_LAB in flight.
   */
  private async stepJob<N extends JobName.RunStep | JobName.VerifyStep>(name: N, data: JobPayloads[N]) {
    const jobId = await this.slots.take(data.labId);
    if (!jobId) throw this.busy(data.labId);
    try {
      return await this.onWorker(() => this.queue.enqueueAndWait(name, data, this.config.STEP_WAIT_MS, { attempts: 1, jobId }));
    } catch (error) {
      // A job the worker ran has given its slot back already; one never queued must not keep it.
      if (!(error instanceof HttpException)) await this.slots.release(data.labId, jobId).catch(() => undefined);
      throw error;
    }
  }

  /**
   * A step is verified in this process when its checks only read the engine (an inspect is
   * as cheap here as on the worker, and the trip through the queue cost several times the
   * inspect) and their deadline ends before STEP_WAIT_MS (no 202 is ever needed for it).
   */
  private verifiesHere(definition: LabDefinition, stepId: string): boolean {
    return this.config.VERIFY_READS_IN_API && this.runner.verifyReadsOnly(definition, stepId) && DEFAULT_TIMEOUTS.checkMs <= this.config.STEP_WAIT_MS;
  }

  /**
   * The worker's verification, run here: one of the lab's step slots held meanwhile (the same
   * per-lab limit and 429 as a queued job), the checks under their deadlines, the attempt
   * stored with the same ready/generation guard, timed in netlabs_step_verify_duration_seconds.
   */
  private async verifyHere(labId: string, stepId: string, answer: unknown, lang: Lang, definition: LabDefinition, lab: StepJobLab) {
    const slot = await this.slots.take(labId);
    if (!slot) throw this.busy(labId);
    const started = performance.now();
    let outcome = 'error';
    try {
      const { context, generation } = this.contexts.fromJob(labId, lab);
      const result = await this.verification.verify({ labId, stepId, answer, lang, definition, context, generation });
      outcome = result.passed ? 'passed' : 'failed';
      return result;
    } catch (error) {
      if (error instanceof LabChangedError) throw new ConflictException(error.message);
      if (error instanceof HttpException) throw error;
      // As a failed job: the engine's or Postgres' message goes to the log, the student gets a request id.
      throw new InternalFailure(503, 'NetLabs could not carry out this step; try again in a moment', `verify failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.metrics.verifyDuration.observe({ outcome }, (performance.now() - started) / 1000);
      // Not awaited: the release goes out on the slots' Redis connection before the answer
      // does, so Redis has it before this student's next request can take a slot.
      void this.slots.release(labId, slot).catch(() => undefined);
    }
  }

  private busy(labId: string): HttpException {
    return new HttpException(
      `lab ${labId} already has ${this.slots.perLab} run/verify requests in progress; wait for their answers (or their result links), then try again`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  /**
   * A failed step job becomes a clear answer: 409 when the lab changed under it, else 503.
   * The worker's message may be anyone's (the engine's, Postgres', a bug's) and may hold
   * internals: it goes to the log, the student gets a request id.
   */
  private async onWorker<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof JobFailedError)) throw error;
      if (/not ready|not found/.test(error.message)) throw new ConflictException(error.message);
      throw new InternalFailure(503, 'NetLabs could not carry out this step; try again in a moment', `step job failed: ${error.message}`);
    }
  }

  /** Why beginReset refused, most final reason first. */
  private whyNoReset(lab: { id: string; status: string; expiresAt: Date | null; class: { id: string; deletedAt: Date | null } }): HttpException {
    if (lab.class.deletedAt) {
      // 409 like every other "not in a state for this" answer, saying the final reason.
      return new ConflictException(`class ${lab.class.id} was deleted at ${lab.class.deletedAt.toISOString()}: its labs cannot be reset`);
    }
    if (lab.expiresAt && lab.expiresAt.getTime() <= Date.now()) {
      return new ConflictException(
        `lab ${lab.id} expired at ${lab.expiresAt.toISOString()}: the class's lab time is a hard limit that a reset does not renew; ask your instructor to extend it`,
      );
    }
    return new ConflictException(`lab ${lab.id} is ${lab.status}; only a ready, failed or ended lab can be reset`);
  }

  /**
   * What keeps a question's answer from a student until they pass it (answer-fence.ts);
   * instructors (the admin, a dashboard link of the lab's class) see everything. `passed`: the
   * lab's passed steps; `reveal`: the step whose solution the student is shown.
   */
  private fenceFor(actor: Actor, allocations: Allocations, definition: LabDefinition | undefined, lang: Lang, passed: string[], reveal?: string): AnswerFence {
    const values = labValuesFrom(allocations, this.config.LAB_PUBLIC_HOST);
    if (actor.kind !== 'student' || !definition || !values) return AnswerFence.open;
    return AnswerFence.forLab(definition, values, passed, lang, reveal);
  }

  private pending(labId: string, stepId: string, jobId: string) {
    return { step: stepId, state: 'pending', jobId, resultUrl: `/labs/${labId}/jobs/${jobId}` };
  }

  /**
   * The lab of a run or verify: a student's as read with their token (no other query), an
   * instructor's in one query. Marking the lab active is part of the job's own write
   * (the verify's stored attempt, the run's solution mark).
   */
  private async readyLabWithStep(actor: Actor, labId: string, stepId: string) {
    requireLabAccess(actor, labId);
    const lab = actor.kind === 'student' && actor.lab?.id === labId ? actor.lab : await this.labs.snapshot(labId);
    if (!lab) throw new NotFoundException(`lab ${labId} not found`);
    const definition = this.catalogue.get(lab.labDefinitionId);
    if (!definition) throw new ServiceUnavailableException(`lab definition ${lab.labDefinitionId} is not loaded`);
    if (!definition.steps.some((s) => s.id === stepId)) throw new NotFoundException(`step ${stepId} not found in ${definition.id}`);
    if (lab.status !== LabStatus.ready) throw new ConflictException(`lab ${labId} is ${lab.status}, not ready`);
    return { lab, definition };
  }

  /**
   * The lab, if this caller may touch it. `instructors`: whether an instructor of the lab's
   * class may (reading it, reset, delete: what the dashboard does); run, verify and job
   * results stay with the student and the admin. A student is checked before any lookup.
   */
  private async load(actor: Actor, labId: string, options: { instructors?: boolean } = {}) {
    if (actor.kind !== 'instructor' || !options.instructors) requireLabAccess(actor, labId);
    const lab = await this.labs.findWithProgress(labId);
    // A warm lab is nobody's until a student claims it (README.md, "Warm labs").
    if (!lab || !isClaimed(lab)) throw new NotFoundException(`lab ${labId} not found`);
    requireLabAccess(actor, labId, lab.classId);
    return lab;
  }

  /** For the routes of the admin and the lab's class's instructors (guarded by @InstructorsToo). */
  private async requireInstructorOf(actor: Actor, labId: string): Promise<void> {
    if (actor.kind === 'admin') return;
    const lab = actor.kind === 'instructor' ? await this.labs.findById(labId) : null;
    if (!lab || actor.kind !== 'instructor' || lab.classId !== actor.classId) throw new NotFoundException(`lab ${labId} not found`);
  }
}

function passedOf(steps: { stepId: string; status: string }[]): string[] {
  return steps.filter((step) => step.status === 'passed').map((step) => step.stepId);
}

/** What the worker needs of the lab for a step job (it still checks the lab is ready and of this generation). */
function jobLab(lab: LabSnapshot): StepJobLab | undefined {
  if (!lab.hostId) return undefined;
  return { classId: lab.classId, prefix: lab.prefix, hostId: lab.hostId, generation: lab.generation, labDefinitionId: lab.labDefinitionId, allocations: lab.allocations };
}
