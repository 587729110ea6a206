import { describe, expect, it } from 'vitest';
import { CHECKS } from '../labs/checks/check-registry';
import { LabCatalogue } from '../labs/lab-catalogue';
import type { LabContext } from '../labs/lab-runner';
import { LabRunner } from '../labs/lab-runner';
import { LabChangedError, StepVerification } from './step-verification';

const definition = new LabCatalogue().get('docker-network')!;

describe('which steps the API verifies itself', () => {
  it('only steps whose every check reads the engine: 1a-1c, 3a, 3b; never one that execs or probes', () => {
    const runner = new LabRunner();
    const here = definition.steps.filter((s) => runner.verifyReadsOnly(definition, s.id)).map((s) => s.id);
    expect(here).toEqual(['1a', '1b', '1c', '3a', '3b']);
    expect(runner.verifyReadsOnly(definition, 'no-such-step')).toBe(false);
    // Checks that exec in a container or send HTTP must stay on the worker (a lab can make them hang).
    for (const type of ['command-in-container', 'http-from-container', 'http-from-host', 'chat-server', 'chat-relay'] as const) {
      expect((CHECKS[type] as { readsOnly?: true }).readsOnly, type).toBeUndefined();
    }
  });
});

describe('StepVerification', () => {
  const passing = { step: '1b', passed: true, checks: [{ name: 'subnet', passed: true, message: 'ok' }] };
  const setup = (stored: object, verified = passing) => {
    const graded: string[] = [];
    const written: unknown[] = [];
    const sut = new StepVerification(
      { verifyStep: async () => verified } as never,
      { recordAttempt: async (input: unknown) => (written.push(input), stored) } as never,
      { stepPassed: async (labId: string) => (graded.push(labId), 'post') } as never,
    );
    const verify = () => sut.verify({ labId: 'l1', stepId: '1b', answer: '10.0.0.0/24', lang: 'en', definition, context: {} as LabContext, generation: 3 });
    return { verify, graded, written };
  };

  it('stores the attempt with the generation it was asked for, and queues a grade only for a passed step of an LMS lab', async () => {
    const lti = setup({ attemptId: 'a1', graded: true });
    expect(await lti.verify()).toEqual({ ...passing, attemptId: 'a1' });
    expect(lti.written).toEqual([{ labId: 'l1', stepId: '1b', passed: true, answer: '10.0.0.0/24', checks: passing.checks, generation: 3 }]);
    expect(lti.graded).toEqual(['l1']);
    const plain = setup({ attemptId: 'a2', graded: false });
    await plain.verify();
    expect(plain.graded).toEqual([]);
    const failed = setup({ attemptId: 'a3', graded: true }, { ...passing, passed: false });
    await failed.verify();
    expect(failed.graded).toEqual([]);
  });

  it('refuses to answer for a lab that went away or was reset while it was checked', async () => {
    await expect(setup({ attemptId: null, labStatus: null, generation: null }).verify()).rejects.toThrow(new LabChangedError('lab l1 not found'));
    await expect(setup({ attemptId: null, labStatus: 'destroying', generation: 3 }).verify()).rejects.toThrow(/is destroying, not ready/);
    await expect(setup({ attemptId: null, labStatus: 'ready', generation: 4 }).verify()).rejects.toThrow(/was reset while this step was verified/);
  });
});
