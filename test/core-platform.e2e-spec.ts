import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerObjects, TestStack } from './support/stack';
import { waitFor } from './support/wait-for';
import { startedStack } from './support/started-stack';

interface NetworkInspect {
  Name: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  IPAM: { Config: { Subnet: string; Gateway?: string }[] };
}

function labNetworks(labId: string): NetworkInspect[] {
  const ids = dockerObjects('network', `label=netlabs.lab=${labId}`);
  return ids.length ? JSON.parse(execFileSync('docker', ['network', 'inspect', ...ids]).toString()) : [];
}

describe('core platform (real API, worker, Postgres, Redis and Docker)', () => {
  const { stack, db } = startedStack();

  it('reports db, redis and docker in /health without a token', async () => {
    const health = await stack.request('GET', '/health', undefined, null);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', db: { status: 'up' }, redis: { status: 'up' }, docker: { local: { status: 'up' } } });
  });

  it('refuses bad input with a 400 naming the field, and unknown tokens or ids', async () => {
    const students = [{ externalId: 's1' }];
    const cases: [unknown, RegExp][] = [
      ['{"name": ', /not valid JSON/],
      [{ labDefinitionId: 'docker-network', students }, /^name: /],
      [{ name: 'c', labDefinitionId: 'docker-network', students: [] }, /students: must list at least one student/],
      [{ name: 'c', labDefinitionId: 'docker-network', students: [{ externalId: 'a' }, { externalId: 'a' }] }, /students\[1\]\.externalId: duplicate "a"/],
      [{ name: 'c', labDefinitionId: 'nope', students }, /labDefinitionId: unknown lab definition "nope"/],
      [{ name: 'c', labDefinitionId: 'docker-network', students: [{}] }, /students\[0\]\.externalId/],
    ];
    for (const [body, message] of cases) {
      const response = await stack.request('POST', '/classes', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(response.body.message).toMatch(message);
    }
    expect((await stack.request('POST', '/classes', { name: 'c', labDefinitionId: 'docker-network', students }, null)).status).toBe(401);
    expect((await stack.request('POST', '/classes', { name: 'c', labDefinitionId: 'docker-network', students }, 'wrong-token')).status).toBe(401);
    expect((await stack.request('GET', '/classes/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await stack.request('GET', '/labs/not-a-uuid')).status).toBe(400);
    expect((await stack.request('GET', '/labs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    // Nothing half-created: no class row was written by the refused requests.
    const { rows } = await db.query(`select count(*)::int as n from "Class" where name = 'c'`);
    expect(rows[0].n).toBe(0);
  });

  it('gives each of 3 students a ready, isolated lab, and removes everything on DELETE', async () => {
    const created = await stack.createClassAndWait(['alice', 'bob', 'carol'], 'core 3 students');
    const klass = await stack.request('GET', `/classes/${created.id}`);
    expect(klass.body.labs.map((l: { status: string }) => l.status)).toEqual(['ready', 'ready', 'ready']);

    const subnets = new Set<string>();
    const bridges = new Set<string>();
    for (const lab of created.labs) {
      const networks = labNetworks(lab.id);
      expect(networks).toHaveLength(1);
      const [network] = networks;
      expect(network.Labels).toMatchObject({ 'netlabs.lab': lab.id, 'netlabs.class': created.id, 'netlabs.name': 'bridge' });
      expect(network.Name).toMatch(/^nl-[0-9a-f]{8}-bridge$/);
      subnets.add(network.IPAM.Config[0].Subnet);
      bridges.add(network.Options['com.docker.network.bridge.name']);
      const detail = await stack.request('GET', `/labs/${lab.id}`);
      expect(detail.body).toMatchObject({ id: lab.id, status: 'ready', labDefinitionId: 'docker-network' });
      expect(detail.body.values.bridgeSubnet).toBe(network.IPAM.Config[0].Subnet);
    }
    expect(subnets.size).toBe(3);
    expect(bridges.size).toBe(3);

    // A student's token opens their own lab only.
    const [alice, bob] = created.labs;
    expect((await stack.request('GET', `/labs/${alice.id}`, undefined, alice.token)).status).toBe(200);
    expect((await stack.request('GET', `/labs/${bob.id}`, undefined, alice.token)).status).toBe(404);
    expect((await stack.request('POST', `/labs/${bob.id}/steps/1a/verify`, { answer: 'x' }, alice.token)).status).toBe(404);
    expect((await stack.request('DELETE', `/labs/${bob.id}`, undefined, alice.token)).status).toBe(404);
    expect((await stack.request('GET', `/classes/${created.id}`, undefined, alice.token)).status).toBe(403);

    const deleted = await stack.request('DELETE', `/classes/${created.id}`);
    expect(deleted.status).toBe(202);
    await stack.waitForLabs(created.id, (status) => status === 'destroyed');
    expect(dockerObjects('network', `label=netlabs.class=${created.id}`)).toEqual([]);
    expect(dockerObjects('container', `label=netlabs.class=${created.id}`)).toEqual([]);
    const { rows } = await db.query(
      `select count(*)::int as n from "Allocation" a join "Lab" l on l.id = a."labId" where l."classId" = $1`,
      [created.id],
    );
    expect(rows[0].n).toBe(0);
    // Tokens die with the class.
    expect((await stack.request('GET', `/labs/${alice.id}`, undefined, alice.token)).status).toBe(401);
  });

  it('converges to ready labs, without duplicates, when the worker is killed mid-provisioning', async () => {
    const created = await stack.request('POST', '/classes', {
      name: 'worker crash',
      labDefinitionId: 'docker-network',
      students: ['s1', 's2', 's3', 's4'].map((externalId) => ({ externalId })),
    });
    expect(created.status).toBe(201);
    const labIds: string[] = created.body.labs.map((l: { id: string }) => l.id);
    // Kill as soon as the worker has started on the first lab.
    await waitFor('provisioning to start', async () => {
      const { rows } = await db.query(`select count(*)::int as n from "Allocation" where "labId" = any($1::uuid[])`, [labIds]);
      return rows[0].n > 0;
    }, { timeoutMs: 30_000, intervalMs: 20 });
    await stack.killWorker();
    stack.startWorker();

    const final = await stack.waitForLabs(created.body.id, (status) => status !== 'provisioning');
    expect(final.labs.map((l: { status: string }) => l.status)).toEqual(['ready', 'ready', 'ready', 'ready']);
    for (const labId of labIds) expect(labNetworks(labId)).toHaveLength(1);
    const { rows } = await db.query(
      `select "labId", count(*)::int as n from "Allocation" where "labId" = any($1::uuid[]) group by "labId"`,
      [labIds],
    );
    expect(rows.map((r) => r.n)).toEqual([5, 5, 5, 5]);

    await stack.request('DELETE', `/classes/${created.body.id}`);
    await stack.waitForLabs(created.body.id, (status) => status === 'destroyed');
    expect(dockerObjects('network', `label=netlabs.class=${created.body.id}`)).toEqual([]);
  });
});

describe('provisioning failure', () => {
  const stack = new TestStack({ LAB_IMAGE_HTTPD: 'netlabs-local/missing-image:1', LAB_IMAGE_PULL: 'false' });

  beforeAll(() => stack.start());
  afterAll(() => stack.stop());

  it('ends in failed with the reason and leaves nothing behind when an image is missing', async () => {
    const created = await stack.createClassAndWait(['x'], 'missing image');
    const [lab] = created.labs;
    const detail = await stack.request('GET', `/labs/${lab.id}`);
    expect(detail.body.status).toBe('failed');
    expect(detail.body.failureReason).toMatch(/netlabs-local\/missing-image:1/);
    expect(dockerObjects('network', `label=netlabs.lab=${lab.id}`)).toEqual([]);
    expect((await stack.request('POST', `/labs/${lab.id}/steps/1a/run`, {})).status).toBe(409);
    await stack.request('DELETE', `/classes/${created.id}`);
    await stack.waitForLabs(created.id, (status) => status === 'destroyed');
  });
});
