import { describe, expect, it } from 'vitest';
import { dockerObjects } from './support/stack';
import { waitFor } from './support/wait-for';
import { startedStack } from './support/started-stack';

/**
 * A lab lives through several generations (each reset starts one): its teardown must
 * happen in every one of them, and the class's TTL and deletion stay final.
 */
describe('lab generations: teardown after a reset, TTL as a hard cap, deleted classes', () => {
  // Its API and worker run 13 hours from UTC: a timestamp read in SQL (GET /classes/:id's
  // deletedAt, below) must come out as the same instant as Prisma's (DELETE's deletedAt).
  const { stack, db } = startedStack({ REAP_INTERVAL_MS: '1000', STEP_WAIT_MS: '60000', TZ: 'Pacific/Auckland' });

  const status = async (labId: string) => (await stack.request('GET', `/labs/${labId}`)).body;
  const until = (labId: string, wanted: string, timeoutMs = 60_000) =>
    waitFor(`lab ${labId} ${wanted}`, async () => {
      const body = await status(labId);
      return body.status === wanted ? body : undefined;
    }, { timeoutMs });
  /** Starts mon-serveur (step 2a's solution), so the lab owns a container as well as its network. */
  const withServer = async (labId: string) => {
    const run = await stack.request('POST', `/labs/${labId}/steps/2a/run`, {});
    expect(run.body.succeeded, JSON.stringify(run.body)).toBe(true);
    expect(dockerObjects('container', [`label=netlabs.lab=${labId}`, 'label=netlabs.name=mon-serveur'])).toHaveLength(1);
  };
  const expectGone = (labId: string) => {
    expect(dockerObjects('container', `label=netlabs.lab=${labId}`)).toEqual([]);
    expect(dockerObjects('network', `label=netlabs.lab=${labId}`)).toEqual([]);
  };

  it('delete, reset, delete: the second teardown really happens (lab, then class)', async () => {
    const created = await stack.createClassAndWait(['del-lab', 'del-class'], 'generations-delete');
    const [byLab, byClass] = created.labs;

    for (const lab of [byLab, byClass]) {
      expect((await stack.request('DELETE', `/labs/${lab.id}`)).status).toBe(202);
      await until(lab.id, 'destroyed');
      expect((await stack.request('POST', `/labs/${lab.id}/reset`, {})).status).toBe(202);
      await until(lab.id, 'ready');
      await withServer(lab.id);
    }

    expect((await stack.request('DELETE', `/labs/${byLab.id}`)).status).toBe(202);
    const ended = await until(byLab.id, 'destroyed', 30_000);
    expect(ended.endReason).toBe('deleted');
    expectGone(byLab.id);

    const deleted = await stack.request('DELETE', `/classes/${created.id}`);
    expect(deleted.status).toBe(202);
    await until(byClass.id, 'destroyed', 30_000);
    expectGone(byClass.id);
    const ports = await db.query(`select count(*)::int as n from "Allocation" where "labId" = any($1::uuid[])`, [[byLab.id, byClass.id]]);
    expect(ports.rows[0].n).toBe(0);
  });

  it('expire, reset, expire: the class TTL is a hard cap, and the second expiry tears down too', async () => {
    const created = await stack.createClassAndWait(['exp'], 'generations-expiry');
    const [lab] = created.labs;
    const firstExpiry = (await status(lab.id)).expiresAt;

    await db.query(`update "Lab" set "expiresAt" = now() - interval '1 minute' where id = $1`, [lab.id]);
    expect((await until(lab.id, 'destroyed', 30_000)).endReason).toBe('expired');

    // A student's reset does not renew the class's time.
    const refused = await stack.request('POST', `/labs/${lab.id}/reset`, {}, lab.token);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/expired at .*hard limit.*extend/);
    expect((await status(lab.id)).status).toBe('destroyed');

    // Only an instructor's extend moves the expiry; the reset then keeps that expiry.
    const extended = await stack.request('POST', `/labs/${lab.id}/extend`, { minutes: 30 });
    expect(extended.status).toBe(201);
    expect((await stack.request('POST', `/labs/${lab.id}/reset`, {}, lab.token)).status).toBe(202);
    const revived = await until(lab.id, 'ready');
    expect(revived.expiresAt).toBe(extended.body.expiresAt);
    expect(new Date(revived.expiresAt).getTime()).toBeLessThan(new Date(firstExpiry).getTime());
    await withServer(lab.id);

    await db.query(`update "Lab" set "expiresAt" = now() - interval '1 minute' where id = $1`, [lab.id]);
    expect((await until(lab.id, 'destroyed', 30_000)).endReason).toBe('expired');
    expectGone(lab.id);
  });

  it('idle, reset, idle: a lab brought back from idleness is reaped again', async () => {
    const created = await stack.createClassAndWait(['idle'], 'generations-idle');
    const [lab] = created.labs;
    for (let round = 0; round < 2; round++) {
      if (round) {
        expect((await stack.request('POST', `/labs/${lab.id}/reset`, {}, lab.token)).status).toBe(202);
        await until(lab.id, 'ready');
      }
      await db.query(`update "Lab" set "lastActivityAt" = now() - interval '1 day' where id = $1`, [lab.id]);
      expect((await until(lab.id, 'destroyed', 30_000)).endReason).toBe('idle');
      expectGone(lab.id);
    }
  });

  it('a deleted class: reset says so, and a second DELETE keeps the first deletedAt', async () => {
    const created = await stack.createClassAndWait(['gone'], 'generations-deleted-class');
    const [lab] = created.labs;
    const first = await stack.request('DELETE', `/classes/${created.id}`);
    expect(first.status).toBe(202);
    expect(first.body.deletedAt).toEqual(expect.any(String));
    await until(lab.id, 'destroyed', 30_000);

    const reset = await stack.request('POST', `/labs/${lab.id}/reset`, {});
    expect(reset.status).toBe(409);
    expect(reset.body.message).toMatch(new RegExp(`class ${created.id} was deleted at .*cannot be reset`));
    expect((await stack.request('POST', `/labs/${lab.id}/extend`, { minutes: 10 })).status).toBe(404);

    const again = await stack.request('DELETE', `/classes/${created.id}`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ deletedAt: first.body.deletedAt, labs: 0 });
    expect((await stack.request('GET', `/classes/${created.id}`)).body.deletedAt).toBe(first.body.deletedAt);
  });
});
