import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './support/db';
import { docker, dockerExec, inspect } from './support/docker-cli';
import { dockerObjects, TestStack } from './support/stack';
import { sleep, waitFor } from './support/wait-for';

/** Warm labs per host in this test (one host). */
const WARM = 3;

type CreatedLab = { id: string; studentExternalId: string; token: string; status: string; warm: boolean };
type CreatedClass = { id: string; labs: CreatedLab[]; startsAt?: string | null };

/** The running console of a lab (by its labels), or undefined. */
function runningConsole(labId: string): string | undefined {
  const ids = dockerObjects('container', [`label=netlabs.lab=${labId}`, 'label=netlabs.role=console']);
  return ids.length === 1 && inspect('container', ids[0]).State.Running ? ids[0] : undefined;
}

describe('warm labs (real API, worker, Postgres, Redis and Docker)', () => {
  const stack = new TestStack({
    WARM_LABS_PER_HOST: String(WARM),
    WARM_REFILL_INTERVAL_MS: '1000',
    WARM_AHEAD_MINUTES: '1',
    RECONCILE_INTERVAL_MS: '3000',
    REAP_INTERVAL_MS: '1000',
  });
  const db = testDb();
  /** Every lab id a student was given in this run. */
  const handedOut = new Set<string>();
  const classIds: string[] = [];

  const pool = () => `test-${stack.runId}`;
  async function warmLabs(status: 'ready' | 'provisioning' | 'destroyed'): Promise<string[]> {
    const { rows } = await db.query(`select id::text from "Lab" where "warmPool" = $1 and "classId" is null and status = $2 order by id`, [pool(), status]);
    return rows.map((r) => r.id as string);
  }
  /** The rows of these labs, for saying what went wrong. */
  async function labRows(ids: string[]): Promise<{ id: string; status: string; endReason: string | null; failureReason: string | null; leaked: string | null }[]> {
    const { rows } = await db.query(`select id::text, status, "endReason", "failureReason", leaked, "warmPool", "classId"::text, "readyAt" from "Lab" where id = any($1::uuid[])`, [ids]);
    return rows;
  }
  /** Waits until the pool holds `size` ready warm labs and none provisioning; returns their ids. */
  async function fullPool(size = WARM): Promise<string[]> {
    return waitFor(
      `${size} ready warm labs`,
      async () => {
        const [ready, provisioning] = await Promise.all([warmLabs('ready'), warmLabs('provisioning')]);
        return ready.length === size && provisioning.length === 0 ? ready : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
  }
  async function createClass(students: string[], extra: Record<string, unknown> = {}): Promise<CreatedClass> {
    const created = await stack.request('POST', '/classes', {
      name: 'warm',
      labDefinitionId: 'docker-network',
      students: students.map((externalId) => ({ externalId })),
      ...extra,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    classIds.push(created.body.id);
    return created.body;
  }
  function handOut(labs: CreatedLab[]): void {
    for (const lab of labs) {
      expect(handedOut.has(lab.id), `lab ${lab.id} handed out twice`).toBe(false);
      handedOut.add(lab.id);
    }
  }

  beforeAll(async () => {
    await stack.start();
  });

  afterAll(async () => {
    await stack.stop();
    await db.end();
  });

  it('fills the pool with labs that have what a lab starts with (bridge, allocations, console) and belong to nobody', async () => {
    const warm = await fullPool();
    expect(warm).toHaveLength(WARM);
    for (const id of warm) {
      const consoleId = runningConsole(id);
      expect(consoleId, `console of warm lab ${id}`).toBeDefined();
      // Docker cannot relabel: the console keeps the pool's class label after the claim.
      expect(inspect('container', consoleId!).Config.Labels['netlabs.class']).toBe('warm');
      expect(dockerObjects('network', `label=netlabs.lab=${id}`)).toHaveLength(1);
      const allocations = await db.query(`select purpose from "Allocation" where "labId" = $1`, [id]);
      expect(allocations.rows.map((r) => r.purpose).sort()).toEqual(['bridge-if', 'bridge-subnet', 'chat-if', 'chat-subnet', 'httpd-port']);
      // Nobody can open it, not even the instructor, before a student claims it.
      expect((await stack.request('GET', `/labs/${id}`)).status).toBe(404);
      expect((await stack.request('POST', `/labs/${id}/terminals`, {})).status).toBe(404);
      expect((await stack.request('POST', `/labs/${id}/reset`, {})).status).toBe(404);
    }
  });

  it('gives a class smaller than the pool its labs ready at once, rendered with their own values, their console working', async () => {
    const before = new Set(await fullPool());
    const created = await createClass(['ana', 'ben']);
    expect(created.labs.map((l) => [l.status, l.warm])).toEqual([
      ['ready', true],
      ['ready', true],
    ]);
    for (const lab of created.labs) expect(before.has(lab.id)).toBe(true);
    handOut(created.labs);

    const seen = await Promise.all(created.labs.map((lab) => stack.request('GET', `/labs/${lab.id}`)));
    for (const [i, found] of seen.entries()) {
      expect(found.status).toBe(200);
      expect(found.body.status).toBe('ready');
      expect(found.body.studentExternalId).toBe(created.labs[i].studentExternalId);
      // The instructions are rendered with this lab's own values (2a's port, 3b's subnet).
      expect(found.body.instructions).toContain(`**${found.body.values.httpdPort}**`);
      expect(found.body.instructions).toContain(`**${found.body.values.chatSubnet}**`);
    }
    const subnets = seen.map((s) => s.body.values.bridgeSubnet);
    const ports = seen.map((s) => s.body.values.httpdPort);
    expect(new Set(subnets).size).toBe(2);
    expect(new Set(ports).size).toBe(2);

    // The student's own token opens it, and its console's docker CLI talks to the lab's daemon.
    for (const lab of created.labs) {
      const mine = await stack.request('GET', `/labs/${lab.id}`, undefined, lab.token);
      expect(mine.status).toBe(200);
      const consoleId = runningConsole(lab.id)!;
      const networks = await dockerExec(consoleId, ['docker', 'network', 'ls', '--format', '{{.Name}}'], 60_000);
      expect(networks.code, networks.stderr).toBe(0);
      expect(networks.stdout.split('\n').filter(Boolean).sort()).toEqual(['bridge', 'host', 'none']);
      const run = await dockerExec(consoleId, ['docker', 'run', '-d', '--name', 'container1', 'ubuntu', 'sleep', '300'], 120_000);
      expect(run.code, run.stderr).toBe(0);
      const ps = await dockerExec(consoleId, ['docker', 'ps', '--format', '{{.Names}}'], 60_000);
      expect(ps.stdout.trim()).toBe('container1');
      // What the student created carries the real class.
      const created1 = dockerObjects('container', [`label=netlabs.lab=${lab.id}`, 'label=netlabs.name=container1']);
      expect(inspect('container', created1[0]).Config.Labels['netlabs.class']).toBe(created.id);
    }

    const klass = await stack.request('GET', `/classes/${created.id}`);
    expect(klass.body.labs.map((l: { id: string }) => l.id).sort()).toEqual(created.labs.map((l) => l.id).sort());
  });

  it('refills the pool with new labs', async () => {
    const warm = await fullPool();
    for (const id of warm) expect(handedOut.has(id)).toBe(false);
  });

  it('gives a class larger than the pool the pool, and labs provisioned for the rest', async () => {
    const before = new Set(await fullPool());
    const created = await createClass(['c1', 'c2', 'c3', 'c4', 'c5']);
    const warm = created.labs.filter((l) => l.warm);
    const cold = created.labs.filter((l) => !l.warm);
    expect(warm).toHaveLength(WARM);
    for (const lab of warm) expect([lab.status, before.has(lab.id)]).toEqual(['ready', true]);
    expect(cold.map((l) => l.status)).toEqual(['provisioning', 'provisioning']);
    handOut(created.labs);
    await stack.waitForLabs(created.id, (status) => status === 'ready', 240_000);
    for (const lab of created.labs) expect(runningConsole(lab.id), `console of ${lab.id}`).toBeDefined();
  });

  it('never gives one warm lab to two classes created at the same time', async () => {
    await fullPool();
    const [a, b] = await Promise.all([createClass(['d1', 'd2']), createClass(['e1', 'e2'])]);
    const all = [...a.labs, ...b.labs];
    expect(new Set(all.map((l) => l.id)).size).toBe(4);
    // Four students, three warm labs: exactly three came warm.
    expect(all.filter((l) => l.warm)).toHaveLength(WARM);
    handOut(all);
    await stack.waitForLabs(a.id, (status) => status === 'ready', 240_000);
    await stack.waitForLabs(b.id, (status) => status === 'ready', 240_000);
  });

  it('gives a student arriving in a live class a warm lab', async () => {
    await fullPool();
    const klass = classIds[0];
    const added = await stack.request('POST', `/classes/${klass}/students`, { students: [{ externalId: 'late' }] });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.labs.map((l: CreatedLab) => [l.studentExternalId, l.status, l.warm])).toEqual([['late', 'ready', true]]);
    handOut(added.body.labs);
    const mine = await stack.request('GET', `/labs/${added.body.labs[0].id}`, undefined, added.body.labs[0].token);
    expect(mine.body.status).toBe('ready');
    expect((await stack.request('GET', `/classes/${klass}`)).body.labs).toHaveLength(3);
    // Unknown class, duplicate student: nothing claimed.
    expect((await stack.request('POST', `/classes/${crypto.randomUUID()}/students`, { students: [{ externalId: 'x' }] })).status).toBe(404);
    expect((await stack.request('POST', `/classes/${klass}/students`, { students: [{ externalId: 'y' }, { externalId: 'y' }] })).status).toBe(400);
    const again = await stack.request('POST', `/classes/${klass}/students`, { students: [{ externalId: 'late' }, { externalId: 'z' }] });
    expect(again.status, JSON.stringify(again.body)).toBe(409);
    expect((await stack.request('GET', `/classes/${klass}`)).body.labs).toHaveLength(3);
  });

  it('shows warm labs in no class view nor progress, and every handed-out lab has its own subnets and port', async () => {
    const warm = new Set([...(await warmLabs('ready')), ...(await warmLabs('provisioning'))]);
    const inClasses = new Set<string>();
    for (const id of classIds) {
      const klass = await stack.request('GET', `/classes/${id}`);
      const progress = await stack.request('GET', `/classes/${id}/progress`);
      for (const lab of klass.body.labs) inClasses.add(lab.id);
      for (const student of progress.body.students) inClasses.add(student.labId);
    }
    expect([...inClasses].sort()).toEqual([...handedOut].sort());
    for (const id of warm) expect(inClasses.has(id)).toBe(false);
    const { rows } = await db.query(
      `select purpose, value, count(*)::int as n from "Allocation" where "labId" = any($1::uuid[]) group by purpose, value having count(*) > 1`,
      [[...handedOut]],
    );
    expect(rows).toEqual([]);
  });

  it('never gives a claimed lab back to the pool nor to another student, whatever writes the database', async () => {
    const [claimed] = [...handedOut];
    await expect(db.query(`update "Lab" set "classId" = null, "studentId" = null where id = $1`, [claimed])).rejects.toThrow(/never given back/);
    const other = await db.query(`select "studentId"::text from "Lab" where id <> $1 and "studentId" is not null limit 1`, [claimed]);
    await expect(db.query(`update "Lab" set "studentId" = $2 where id = $1`, [claimed, other.rows[0].studentId])).rejects.toThrow(/never given back|duplicate/);
    const { rows } = await db.query(`select count(*)::int as n from "Lab" where id = any($1::uuid[]) and ("classId" is null or "warmPool" is not null and "claimedAt" is null)`, [[...handedOut]]);
    expect(rows[0].n).toBe(0);
  });

  it('rebuilds a warm lab whose console was removed (reconciler)', async () => {
    const [id] = await fullPool();
    const before = runningConsole(id)!;
    docker('rm', '-f', before);
    const after = await waitFor('the console rebuilt', () => {
      const now = runningConsole(id);
      return now && now !== before ? now : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    expect(after).not.toBe(before);
    expect(await warmLabs('ready')).toContain(id);
  });

  it('never reaps an unclaimed warm lab for idleness', async () => {
    const warm = await fullPool();
    await db.query(`update "Lab" set "lastActivityAt" = now() - interval '1 year' where id = any($1::uuid[])`, [warm]);
    await sleep(4000); // four reaper rounds (REAP_INTERVAL_MS=1000)
    expect(await warmLabs('ready')).toEqual(warm);
  });

  it('provisions the labs of a class that starts later ahead of its start, not from the pool', async () => {
    await fullPool();
    const startsAt = new Date(Date.now() + 80_000); // WARM_AHEAD_MINUTES=1: provisioning starts ~20 s from now
    const created = await createClass(['f1', 'f2'], { startsAt: startsAt.toISOString() });
    expect(created.labs.map((l) => [l.status, l.warm])).toEqual([
      ['provisioning', false],
      ['provisioning', false],
    ]);
    handOut(created.labs);
    expect(await warmLabs('ready')).toHaveLength(WARM);
    await sleep(5000);
    // Not started yet: nothing on the engine for these labs.
    for (const lab of created.labs) expect(dockerObjects('network', `label=netlabs.lab=${lab.id}`)).toEqual([]);
    const klass = await stack.waitForLabs(created.id, (status) => status === 'ready', 240_000);
    expect(new Date(klass.startsAt).getTime()).toBe(startsAt.getTime());
    const { rows } = await db.query(`select "readyAt", "expiresAt" from "Lab" where "classId" = $1`, [created.id]);
    for (const row of rows) {
      expect(row.readyAt.getTime()).toBeLessThanOrEqual(startsAt.getTime());
      // The lab's clock starts with the class: 240 min from startsAt.
      expect(row.expiresAt.getTime()).toBe(startsAt.getTime() + 240 * 60_000);
    }
  });

  it('trims the pool when it is made smaller, never touching a claimed lab', async () => {
    const warm = await fullPool();
    await stack.restartWorkerWith({ WARM_LABS_PER_HOST: '1' });
    const kept = await fullPool(1);
    expect(warm, `kept ${kept[0]}: ${JSON.stringify(await labRows([kept[0], ...warm]))}`).toContain(kept[0]);
    const trimmed = warm.filter((id) => id !== kept[0]);
    await waitFor('the trimmed labs destroyed', async () => {
      const { rows } = await db.query(`select id::text, status, "endReason" from "Lab" where id = any($1::uuid[])`, [trimmed]);
      return rows.every((r) => r.status === 'destroyed' && r.endReason === 'trimmed') ? rows : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    for (const id of trimmed) {
      expect(dockerObjects('container', `label=netlabs.lab=${id}`), id).toEqual([]);
      expect(dockerObjects('network', `label=netlabs.lab=${id}`), `${id}: ${JSON.stringify(await labRows([id]))}`).toEqual([]);
    }
    const handed = await labRows([...handedOut]);
    expect(handed.filter((r) => r.status !== 'ready'), JSON.stringify(handed)).toEqual([]);
  });
});
