import { execFileSync } from 'node:child_process';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './support/db';
import { findLeaks } from './support/leak-check';
import { ENGINE_A, ENGINE_B, twoEngineStack } from './support/two-engines';

/**
 * Placement by capacity on two real engines (the second from infra/second-engine.sh, left
 * running: other runs may use it), HOST_MAX_LABS=2 each: 4 places in all, whatever labs
 * other deployments sharing the database hold on the same host ids.
 */
describe('placement by capacity', () => {
  const stack = twoEngineStack({ HOST_MAX_LABS: '2', PLACEMENT_RETRY_AFTER_S: '42' });
  const classIds: string[] = [];
  let db: Pool;

  /** POST with the response headers (stack.request drops them). */
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as any;
    if (path === '/classes' && response.status === 201) classIds.push(json.id);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: json };
  };
  const newClass = (name: string, students: string[]) => post('/classes', { name, labDefinitionId: 'docker-network', students: students.map((externalId) => ({ externalId })) });
  /** What this run wrote: labs, students, classes in the database; containers and networks on both engines. */
  const footprint = async () => {
    const objects = [ENGINE_A, ENGINE_B].map((engine) =>
      execFileSync('sh', ['-c', `docker -H ${engine} ps -aq --filter label=netlabs.test=${stack.runId}; docker -H ${engine} network ls -q --filter label=netlabs.test=${stack.runId}`]).toString().split('\n').filter(Boolean).length,
    );
    const rows = await db.query<{ classes: number; students: number; labs: number }>(
      `select (select count(*)::int from "Class" where id = any($1::uuid[]) or name like $2) as classes,
              (select count(*)::int from "Student" s join "Class" c on c.id = s."classId" where c.id = any($1::uuid[]) or c.name like $2) as students,
              (select count(*)::int from "Lab" l join "Class" c on c.id = l."classId" where c.id = any($1::uuid[]) or c.name like $2) as labs`,
      [classIds, `placement ${stack.runId}%`],
    );
    return { ...rows.rows[0], objects };
  };
  const labsOf = async (classId: string) => (await stack.waitForLabs(classId, (s) => s !== 'provisioning')).labs as { id: string; status: string; hostId: string; failureReason: string | null }[];
  const deleteAndWait = async (classId: string) => {
    expect((await stack.request('DELETE', `/classes/${classId}`)).status).toBe(202);
    await stack.waitForLabs(classId, (s) => s === 'destroyed');
  };
  const redis = (...args: string[]) => execFileSync('redis-cli', ['-h', '127.0.0.1', ...args]).toString().trim();

  /** Another deployment sharing the database (an earlier test file, a staging NetLabs). */
  const other = `other-${stack.runId}`;

  beforeAll(async () => {
    db = testDb();
    // Its labs, live on both host ids: a full HOST_MAX_LABS=2 of each, which take none of this deployment's places.
    await db.query(
      `insert into "Lab" (id, "labDefinitionId", prefix, "hostId", status, deployment, "updatedAt")
       select gen_random_uuid(), 'docker-network', 'nlother-' || md5(random()::text), h, 'ready', $1, now() from unnest(array['local', 'local', 'b', 'b']) h`,
      [other],
    );
  });

  afterAll(async () => {
    await db?.query(`delete from "Lab" where deployment = $1`, [other]);
    await db?.end();
  });

  it('fills both hosts by free capacity, then answers 503 with Retry-After and the count, writing nothing', async () => {
    const full = await newClass(`placement ${stack.runId} full`, ['s1', 's2', 's3', 's4']);
    expect(full.status).toBe(201);
    const labs = await labsOf(full.body.id);
    expect(labs.map((l) => l.status)).toEqual(['ready', 'ready', 'ready', 'ready']);
    // 2 places a host: exactly two labs on each.
    expect(labs.filter((l) => l.hostId === 'local')).toHaveLength(2);
    expect(labs.filter((l) => l.hostId === 'b')).toHaveLength(2);

    // The engines' CPUs and memory were recorded for both hosts.
    const hosts = await db.query<{ id: string; cpus: number; memoryBytes: string }>(`select id, cpus, "memoryBytes" from "DockerHost" where deployment = $1 and id in ('local', 'b')`, [`test-${stack.runId}`]);
    expect(hosts.rows).toHaveLength(2);
    for (const host of hosts.rows) expect(host.cpus > 0 && Number(host.memoryBytes) > 0).toBe(true);

    const before = await footprint();
    const refused = await newClass(`placement ${stack.runId} refused`, ['r1', 'r2', 'r3']);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('42');
    expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(refused.body.message).toContain('3 of the 3 labs could not be placed');
    expect(refused.body.message).toContain('nothing was created');
    expect(refused.body.message).not.toMatch(/at \w+ \(/); // no stack trace

    const added = await post(`/classes/${full.body.id}/students`, { students: [{ externalId: 'late' }] });
    expect(added.status).toBe(503);
    expect(added.retryAfter).toBe('42');
    expect(added.body.message).toContain('1 of the 1 labs could not be placed');
    expect(added.body.message).toContain('nobody was added');

    // Nothing was written, in the database or on either engine (the engines were given time to be wrong).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await footprint()).toEqual(before);
    expect((await stack.request('GET', `/classes/${full.body.id}`)).body.labs).toHaveLength(4);

    await deleteAndWait(full.body.id);
  });

  it('two classes at once cannot both take the last places', async () => {
    const [first, second] = await Promise.all([newClass(`placement ${stack.runId} race 1`, ['a1', 'a2', 'a3']), newClass(`placement ${stack.runId} race 2`, ['b1', 'b2', 'b3'])]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual([201, 503]);
    const [won, lost] = first.status === 201 ? [first, second] : [second, first];
    expect(lost.body.message).toContain('2 of the 3 labs could not be placed (room for 1 more now)');
    const labs = await labsOf(won.body.id);
    expect(labs.every((l) => l.status === 'ready')).toBe(true);
    const classes = await db.query(`select count(*)::int as n from "Class" where name like $1`, [`placement ${stack.runId} race%`]);
    expect(classes.rows[0].n).toBe(1);
    await deleteAndWait(won.body.id);
  });

  it('labs go to the other host while one host has every provisioning slot taken, and wait for it only when they must', async () => {
    // Host b is "slow": its 4 slots (HOST_PROVISION_CONCURRENCY) held by jobs that do not end.
    const key = `nltest-${stack.runId}:host-slots:b`;
    const until = String(Date.now() + 10 * 60_000);
    redis('zadd', key, until, 'held-1', until, 'held-2', until, 'held-3', until, 'held-4');
    try {
      const started = Date.now();
      const created = await newClass(`placement ${stack.runId} slow b`, ['c1', 'c2']);
      expect(created.status).toBe(201);
      const labs = await labsOf(created.body.id);
      expect(labs.map((l) => [l.status, l.hostId])).toEqual([
        ['ready', 'local'],
        ['ready', 'local'],
      ]);
      const readyIn = Date.now() - started;

      // local is full now: the next lab must go to b, and waits (delayed, not failed) until b has a slot.
      const third = await newClass(`placement ${stack.runId} waits for b`, ['d1']);
      expect(third.status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const waiting = (await stack.request('GET', `/classes/${third.body.id}`)).body.labs[0];
      expect(waiting.status).toBe('provisioning');
      redis('del', key);
      const [lab] = await labsOf(third.body.id);
      expect([lab.status, lab.hostId], `the lab that waited for b: ${JSON.stringify(lab)}`).toEqual(['ready', 'b']);
      console.log(`two labs ready on local in ${readyIn} ms while b's slots were held`);
      await deleteAndWait(third.body.id);
    } finally {
      redis('del', key);
    }
    for (const id of classIds.slice(-2, -1)) await deleteAndWait(id);
    expect(await findLeaks(db, `test-${stack.runId}`, classIds, [ENGINE_A, ENGINE_B])).toEqual({ orphans: [], duplicates: [], strayAllocations: [] });
  });
});
