import { describe, expect, it } from 'vitest';
import { AgsError } from '../../../libs/lti/ags-client';
import { Metrics } from '../../../libs/metrics/metrics';
import { GradePassbackService } from './grade-passback.service';

const LEARNER = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner';
const SCORE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';

function setup(options: { roles?: readonly string[]; revoked?: boolean; lineItem?: string | null; post?: () => Promise<void> } = {}) {
  const recorded: { status: string; error?: string | null }[] = [];
  const sent: unknown[] = [];
  const post = { id: 'p1', labId: 'l1', scoreGiven: 2, scoreMaximum: 9, status: 'pending', createdAt: new Date() };
  const target = {
    userId: 'sub-1',
    roles: [...(options.roles ?? [LEARNER])],
    scopes: [SCORE],
    lineItemUrl: options.lineItem === undefined ? 'https://lms.example/lineitems/5/lineitem?type_id=1' : options.lineItem,
    deployment: { deploymentId: 'dep-1', revokedAt: options.revoked ? new Date() : null, platform: { id: 'pl', clientId: 'c', tokenUrl: 'https://lms.example/token', issuer: 'https://lms.example' } },
  };
  /** A fake whose every unstubbed method fails the test. */
  const strict = (name: string, impl: object): never =>
    new Proxy(impl, { get: (o, k) => (k in o ? (o as Record<string | symbol, unknown>)[k] : k === 'then' ? undefined : () => { throw new Error(`${name}.${String(k)} not stubbed`); }) }) as never;
  const metrics = new Metrics('worker');
  const sut = new GradePassbackService(
    strict('lti', { gradeTarget: async () => target }),
    strict('posts', { find: async () => post, superseded: async () => false, attempted: async (_id: string, outcome: { status: string; error?: string | null }) => void recorded.push(outcome) }),
    strict('ags', { postScore: async (...args: unknown[]) => { sent.push(args); await options.post?.(); } }),
    metrics,
  );
  return { sut, recorded, sent, metrics };
}

describe('GradePassbackService', () => {
  it('sends a learner score and records it sent', async () => {
    const { sut, recorded, sent, metrics } = setup();
    expect(await sut.send('p1', false)).toEqual({ outcome: 'sent' });
    expect(sent).toHaveLength(1);
    expect((await metrics.gradePosts.get()).values.find((v) => v.labels.outcome === 'posted')?.value).toBe(1);
    expect((sent[0] as unknown[])[2]).toMatchObject({ userId: 'sub-1', scoreGiven: 2, scoreMaximum: 9, gradingProgress: 'FullyGraded', activityProgress: 'InProgress' });
    expect(recorded).toEqual([{ status: 'sent' }]);
  });

  it('records failures the LMS would never take, without calling it', async () => {
    for (const [options, reason] of [
      [{ roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor'] }, /learners only.*Mentor/],
      [{ revoked: true }, /deployment dep-1 .* was revoked/],
      [{ lineItem: null }, /no line item/],
    ] as const) {
      const { sut, recorded, sent } = setup(options);
      expect(await sut.send('p1', false)).toMatchObject({ outcome: 'failed' });
      expect(sent).toHaveLength(0);
      expect(recorded[0]!.error).toMatch(reason);
    }
  });

  it('throws a retryable refusal to be tried again, records it failed on the last try; a final refusal at once', async () => {
    const busy = () => Promise.reject(new AgsError('the LMS answered HTTP 503', true));
    const early = setup({ post: busy });
    await expect(early.sut.send('p1', false)).rejects.toThrow(/503/);
    expect(early.recorded).toEqual([{ status: 'pending', error: 'the LMS answered HTTP 503 (will try again)' }]);
    const last = setup({ post: busy });
    expect(await last.sut.send('p1', true)).toEqual({ outcome: 'failed', reason: 'the LMS answered HTTP 503' });
    const refused = setup({ post: () => Promise.reject(new AgsError('the LMS answered HTTP 403 to the score: teachers are not graded', false)) });
    expect(await refused.sut.send('p1', false)).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/403/) });
  });
});
