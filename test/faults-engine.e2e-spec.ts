import { execFileSync } from 'node:child_process';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './support/db';
import { findLeaks } from './support/leak-check';
import { ENGINE_A, ENGINE_B, startEngineB, stopEngineB, twoEngineStack } from './support/two-engines';
import { waitFor } from './support/wait-for';

function restartLocalEngine(): void {
  execFileSync('sh', ['-c', 'pid=$(cat /var/run/docker.pid); kill $pid; while kill -0 $pid 2>/dev/null; do sleep 0.2; done']);
  execFileSync('bash', ['infra/engine.sh'], { stdio: 'ignore' });
  execFileSync('bash', ['infra/isolation.sh'], { stdio: 'ignore' });
}

describe('faults: Docker engines', () => {
  // Stops and restarts engine b: holds it alone (no other run's labs are placed there meanwhile).
  const stack = twoEngineStack({ RECONCILE_INTERVAL_MS: '2000', HOST_LOST_AFTER_MS: '30000', STEP_WAIT_MS: '60000' }, { stopsEngineB: true });
  const classIds: string[] = [];
  let db: Pool;

  const leaks = () => findLeaks(db, `test-${stack.runId}`, classIds, [ENGINE_A, ENGINE_B]);
  const noLeaks = { orphans: [], duplicates: [], strayAllocations: [] };

  beforeAll(() => {
    db = testDb();
  });

  afterAll(async () => {
    await db?.end();
  });

  it('places labs on both hosts; a stopped host gets no new labs and its labs are host-lost; back, it is cleaned', async () => {
    const labs: { id: string; token: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await stack.createClassAndWait([`h${i}`], `hosts ${i}`);
      classIds.push(created.id);
      labs.push(created.labs[0]);
    }
    const hostOf = async (id: string) => (await stack.request('GET', `/labs/${id}`)).body.hostId as string;
    const hosts = await Promise.all(labs.map((l) => hostOf(l.id)));
    expect(new Set(hosts)).toEqual(new Set(['local', 'b']));
    const onB = labs.filter((_, i) => hosts[i] === 'b');

    stopEngineB();
    await waitFor('labs on b to be reported host-lost', async () => {
      const details = await Promise.all(onB.map(async (l) => (await stack.request('GET', `/labs/${l.id}`)).body));
      return details.every((d) => d.status === 'failed' && d.endReason === 'host-lost') ? details : undefined;
    }, { timeoutMs: 60_000 });
    const health = await stack.request('GET', '/health', undefined, null);
    expect(health.body.docker.b.status).toBe('down');

    const during = await stack.createClassAndWait(['while-b-down-1', 'while-b-down-2'], 'b down');
    classIds.push(during.id);
    for (const lab of during.labs) expect(await hostOf(lab.id)).toBe('local');

    startEngineB();
    await waitFor('b cleaned after it returns', async () => {
      const found = await leaks();
      return found.orphans.length === 0 && found.strayAllocations.length === 0 ? found : undefined;
    }, { timeoutMs: 30_000 });
    expect(await leaks()).toEqual(noLeaks);

    // A lost lab comes back with a reset, on a host that answers.
    const reset = await stack.request('POST', `/labs/${onB[0].id}/reset`, {}, onB[0].token);
    expect(reset.status).toBe(202);
    await waitFor('the reset lab to be ready', async () => (await stack.request('GET', `/labs/${onB[0].id}`)).body.status === 'ready', { timeoutMs: 60_000 });
  });

  it('restarting the Docker engine under 5 live labs: every lab ends ready and working again, or marked with a reason', async () => {
    const created = await stack.createClassAndWait(['e1', 'e2', 'e3', 'e4', 'e5'], 'engine restart');
    classIds.push(created.id);
    for (const lab of created.labs) {
      const ran = await stack.request('POST', `/labs/${lab.id}/steps/2a/run`, {}, lab.token);
      expect(ran.body.succeeded, JSON.stringify(ran.body)).toBe(true);
    }
    // Restart both engines, whichever hosts the labs; each restart is shorter than HOST_LOST_AFTER_MS.
    restartLocalEngine();
    stopEngineB();
    startEngineB();

    const outcomes: { ready?: boolean; marked?: string }[] = [];
    for (const lab of created.labs) {
      const outcome = await waitFor(`lab ${lab.id} to work again or be marked`, async () => {
        const detail = (await stack.request('GET', `/labs/${lab.id}`)).body;
        if (detail.status === 'failed') return { marked: detail.failureReason as string };
        if (detail.status !== 'ready') return undefined;
        const verified = await stack.request('POST', `/labs/${lab.id}/steps/2a/verify`, {}, lab.token);
        return verified.body.passed ? { ready: true } : undefined;
      }, { timeoutMs: 90_000, intervalMs: 1000 });
      expect(outcome.ready || outcome.marked).toBeTruthy();
      outcomes.push(outcome);
    }
    // None silently broken, and a short restart is waited out: the labs came back.
    expect(outcomes.filter((o) => o.ready)).toHaveLength(5);
    expect(await leaks()).toEqual(noLeaks);
  });
});
