/**
 * The lab guard on the real stack: a lab container writing past LAB_DISK_MB is stopped
 * (this engine's overlay2 on ext4 cannot enforce a size), one held at its pids limit is
 * flagged; both say why on the lab and in the audit trail.
 */
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './support/db';
import { docker, dockerExec, engineName, inspect } from './support/docker-cli';
import { TestStack } from './support/stack';
import { waitFor } from './support/wait-for';

describe('lab guard: disk and processes of lab containers (real API, worker, Postgres, Redis and Docker)', () => {
  const stack = new TestStack({ RECONCILE_INTERVAL_MS: '2000', LAB_DISK_MB: '64', LAB_PIDS: '64', LAB_PIDS_FLAG_AFTER_MS: '4000' });
  let db: Pool;
  let lab: { id: string; token: string };
  const view = async () => (await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token)).body;
  const incidents = async (kind: string) =>
    (await db.query(`select * from "AuditEvent" where "labId" = $1 and action = 'incident' and detail->>'kind' = $2`, [lab.id, kind])).rows;

  beforeAll(async () => {
    db = testDb();
    await stack.start();
    [lab] = (await stack.createClassAndWait(['guarded'], 'lab guard')).labs;
    const ran = await stack.request('POST', `/labs/${lab.id}/steps/2c/run`, {}, lab.token);
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
  });

  afterAll(async () => {
    await stack.stop();
    await db?.end();
  });

  it('stops a container that writes more than LAB_DISK_MB, and tells the student why', async () => {
    const container1 = engineName(lab.id, 'container', 'container1');
    const dd = await dockerExec(container1, ['dd', 'if=/dev/zero', 'of=/filler', 'bs=1M', 'count=100'], 60_000);
    expect(dd.code, dd.stderr).toBe(0);
    await waitFor('container1 to be stopped', () => inspect('container', container1).State.Running === false, { timeoutMs: 30_000, intervalMs: 500 });
    // The guard stops the container, then records why: wait for the record rather than race it.
    const body = await waitFor('the lab to say why', async () => {
      const seen = await view();
      return seen.failureReason ? seen : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    expect(body.status).toBe('ready');
    expect(body.failureReason).toMatch(/container container1 was stopped: it wrote \d+ MB to its disk, more than the 64 MB/);
    expect(await incidents('disk')).toEqual([expect.objectContaining({ actor: 'lab-guard', detail: expect.objectContaining({ container: 'container1' }) })]);
    // The other containers of the lab carry on.
    expect(inspect('container', engineName(lab.id, 'container', 'mon-serveur')).State.Running).toBe(true);
  });

  it('flags a container held at its pids limit, once', { timeout: 300_000 }, async () => {
    const container2 = engineName(lab.id, 'container', 'container2');
    // Detached and through the CLI: a process of the student's own, which no exec of ours ends.
    // Processes that stay: a classic `bomb | bomb &` can die out once its forks fail, and a
    // container that is no longer at its limit is rightly not flagged (seen once in CI).
    docker('exec', '-d', container2, 'bash', '-c', 'for i in {1..200}; do sleep 600 & done; wait');
    // Patrols ride on the reconcile job: on a loaded machine they come late, and two at the limit are needed.
    const body = await waitFor('the lab to be flagged', async () => {
      const b = await view();
      return /container2 has been at its limit of 64 processes/.test(b.failureReason ?? '') ? b : undefined;
    }, { timeoutMs: 180_000, intervalMs: 1_000 });
    expect(body.failureReason).toMatch(/Restart it \(docker restart container2\) or reset the lab/);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await incidents('pids')).toHaveLength(1);
    docker('rm', '-f', container2);
  });
});
