import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startedStack } from './support/started-stack';
import { dockerObjects, QUICK_RECOVERY } from './support/stack';
import { waitFor } from './support/wait-for';

/**
 * Two deployments sharing one database (the e2e files running side by side, a staging
 * NetLabs beside production): each one's worker mends and reaps only its own labs. Before,
 * a reconciler with a short STUCK_AFTER_MS requeued another run's lab caught provisioning
 * for a reset, and its own worker built that lab again under its own labels.
 */
describe('maintenance keeps to its own deployment', () => {
  const { stack, db } = startedStack({ ...QUICK_RECOVERY, REAP_INTERVAL_MS: '1000' });
  const other = `other-${Math.random().toString(36).slice(2, 10)}`;
  let otherClass = '';
  /** The other deployment's labs, each in a state this worker would act on were it its own. */
  const states = [
    { name: 'stuck-provisioning', status: 'provisioning', updatedAt: `now() - interval '1 hour'`, expiresAt: 'null', lastActivityAt: 'now()' },
    { name: 'stuck-reset', status: 'provisioning', updatedAt: `now() - interval '1 hour'`, expiresAt: 'null', lastActivityAt: 'now()', generation: 1 },
    { name: 'stuck-destroying', status: 'destroying', updatedAt: `now() - interval '1 hour'`, expiresAt: 'null', lastActivityAt: 'now()' },
    { name: 'expired', status: 'ready', updatedAt: 'now()', expiresAt: `now() - interval '1 minute'`, lastActivityAt: 'now()' },
    { name: 'idle', status: 'ready', updatedAt: 'now()', expiresAt: 'null', lastActivityAt: `now() - interval '1 day'` },
  ];
  const snapshot = async () =>
    (await db.query(`select id, status, generation, "endReason", "updatedAt", deployment from "Lab" where deployment = $1 order by prefix`, [other])).rows;

  beforeAll(async () => {
    otherClass = (await db.query<{ id: string }>(`insert into "Class" (id, name, "labDefinitionId") values (gen_random_uuid(), $1, 'docker-network') returning id`, [`deployments ${other}`])).rows[0].id;
    for (const [i, s] of states.entries()) {
      await db.query(
        `with student as (
           insert into "Student" (id, "classId", "externalId", "tokenHash") values (gen_random_uuid(), $1, $6, md5(random()::text)) returning id
         )
         insert into "Lab" (id, "classId", "studentId", "labDefinitionId", prefix, "hostId", status, generation, deployment, "updatedAt", "expiresAt", "lastActivityAt")
         select gen_random_uuid(), $1, student.id, 'docker-network', $2, 'local', $3::"LabStatus", $4, $5, ${s.updatedAt}, ${s.expiresAt}, ${s.lastActivityAt} from student`,
        [otherClass, `nlother${i}-${other}`, s.status, s.generation ?? 0, other, s.name],
      );
    }
  });

  // Never throws: the stack's own stop runs after it and must run whatever this finds.
  afterAll(async () => {
    try {
      // Rows a worker may have added to them, were the fence to fail: the labs go all the same.
      for (const table of ['Allocation', 'StepProgress', 'VerificationAttempt', 'TerminalSession']) {
        await db.query(`delete from "${table}" where "labId" in (select id from "Lab" where deployment = $1)`, [other]);
      }
      await db.query(`delete from "Lab" where deployment = $1`, [other]);
      await db.query(`delete from "DockerHost" where deployment = $1`, [other]);
      await db.query(`delete from "Student" where "classId" = $1`, [otherClass]);
      await db.query(`delete from "Class" where id = $1`, [otherClass]);
    } catch (error) {
      console.warn(`rows of deployment ${other} left in the database: ${String(error)}`);
    }
  });

  it("requeues and reaps its own labs, and leaves another deployment's rows and engine alone", async () => {
    const before = await snapshot();
    expect(before).toHaveLength(states.length);

    // Controls, of this deployment: one lab left destroying with no job (the reconciler's
    // stuck-lab pass), one idle (the reaper). Both ending shows both passes ran meanwhile.
    const created = await stack.createClassAndWait(['stuck', 'idle'], `deployments ${stack.runId}`);
    const [stuck, idle] = created.labs;
    await db.query(`update "Lab" set status = 'destroying', "endReason" = 'deleted', "updatedAt" = now() - interval '1 hour' where id = $1`, [stuck.id]);
    await db.query(`update "Lab" set "lastActivityAt" = now() - interval '1 day' where id = $1`, [idle.id]);
    const statusOf = async (id: string) => (await db.query<{ status: string; endReason: string | null }>(`select status, "endReason" from "Lab" where id = $1`, [id])).rows[0];
    await waitFor('the own stuck lab torn down and the own idle lab reaped', async () => {
      const [a, b] = await Promise.all([statusOf(stuck.id), statusOf(idle.id)]);
      return a.status === 'destroyed' && b.status === 'destroyed' && b.endReason === 'idle';
    }, { timeoutMs: 60_000 });
    // Two more reconcile rounds, for anything queued by the last one to run.
    await new Promise((resolve) => setTimeout(resolve, 2 * Number(QUICK_RECOVERY.RECONCILE_INTERVAL_MS) + 1000));

    expect(await snapshot()).toEqual(before);
    for (const { id } of before) {
      expect(dockerObjects('container', `label=netlabs.lab=${id}`)).toEqual([]);
      expect(dockerObjects('network', `label=netlabs.lab=${id}`)).toEqual([]);
    }
    for (const { id } of before) expect(stack.workerLogLines(id)).toEqual([]);
  });

  it('places labs on its host while another deployment records a host of the same id as down, and leaves that record alone', async () => {
    // The other deployment's view of its own engine, also called `local`: down, silent for a day.
    // Host records were shared by host id: a failed ping of one test stack marked `local` down
    // for every stack on the database (a CI run: a warm pool trimmed to nothing).
    await db.query(
      `insert into "DockerHost" (deployment, id, endpoint, status, "lastSeenAt", "updatedAt") values ($1, 'local', 'unix:///nowhere.sock', 'down', now() - interval '1 day', now() - interval '1 day')`,
      [other],
    );
    const record = async (deployment: string) =>
      (await db.query(`select status::text, endpoint, "lastSeenAt", "updatedAt" from "DockerHost" where deployment = $1 and id = 'local'`, [deployment])).rows;
    const theirs = await record(other);

    const created = await stack.createClassAndWait(['placed'], `deployments hosts ${stack.runId}`);
    const { rows } = await db.query(`select status, "hostId" from "Lab" where id = $1`, [created.labs[0].id]);
    expect(rows).toEqual([{ status: 'ready', hostId: 'local' }]);
    // Two reconcile rounds: this deployment records its own `local` as up, and never the other's.
    await new Promise((resolve) => setTimeout(resolve, 2 * Number(QUICK_RECOVERY.RECONCILE_INTERVAL_MS) + 1000));
    expect((await record(`test-${stack.runId}`)).map((r) => r.status)).toEqual(['up']);
    expect(await record(other)).toEqual(theirs);
  });
});
