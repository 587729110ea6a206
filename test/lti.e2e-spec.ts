/**
 * Issue 13, LTI 1.3: the suite plays the LMS (test/support/fake-lms.ts) and drives NetLabs
 * through login initiation, launches, deep linking and grade passback; plus the class
 * routes an LMS uses to add and remove students.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './support/db';
import { FakeLms, SCORE_TYPE } from './support/fake-lms';
import { TestStack } from './support/stack';
import { waitFor } from './support/wait-for';

const C = 'https://purl.imsglobal.org/spec/lti/claim/';
const LEARNER = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner';
const INSTRUCTOR = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor';
const MENTOR = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor';

/** The reason a refusal page gives, as the user reads it (HTML entities decoded). */
const reasonOf = (html: string) =>
  (/<p class="reason" id="reason">([^<]*)<\/p>/.exec(html)?.[1] ?? '').replace(/&(quot|#39|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[e]!);

describe('LTI 1.3 launches, deep linking and grade passback, with the test as the LMS', () => {
  const lms = new FakeLms();
  const stack = new TestStack({ STEP_WAIT_MS: '120000', LTI_GRADE_BACKOFF_MS: '300' });
  const db = testDb();
  let platformId: string;
  let alice: { labId: string; token: string; classId: string };

  type Login = { state: string; nonce: string; cookie: string; location: URL };
  const login = async (params: Record<string, string> = {}): Promise<Login> => {
    const query = new URLSearchParams({ iss: lms.issuer, login_hint: 'hint-1', target_link_uri: `${stack.apiUrl}/lti/launch`, client_id: lms.clientId, ...params });
    const response = await fetch(`${stack.apiUrl}/lti/login?${query}`, { redirect: 'manual' });
    expect(response.status, await response.clone().text()).toBe(302);
    const location = new URL(response.headers.get('location')!);
    const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    return { state: location.searchParams.get('state')!, nonce: location.searchParams.get('nonce')!, cookie, location };
  };
  const claims = (nonce: string, overrides: Record<string, unknown> = {}): JWTPayload => ({
    iss: lms.issuer,
    aud: lms.clientId,
    sub: 'alice-sub',
    nonce,
    name: 'Alice Martin',
    locale: 'en',
    [`${C}message_type`]: 'LtiResourceLinkRequest',
    [`${C}version`]: '1.3.0',
    [`${C}deployment_id`]: lms.deploymentId,
    [`${C}target_link_uri`]: `${stack.apiUrl}/lti/launch`,
    [`${C}resource_link`]: { id: 'rl-1', title: 'TP réseau' },
    [`${C}roles`]: [LEARNER],
    [`${C}context`]: { id: 'course-42', title: 'RT2 Réseaux', label: 'RT2' },
    [`${C}custom`]: { lab: 'docker-network' },
    'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint': {
      scope: ['https://purl.imsglobal.org/spec/lti-ags/scope/score', 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem'],
      lineitem: lms.lineItem,
    },
    ...overrides,
  });
  const post = async (path: string, form: Record<string, string>, cookie = '') => {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams(form).toString(),
    });
    return {
      status: response.status,
      location: response.headers.get('location'),
      type: response.headers.get('content-type'),
      retryAfter: response.headers.get('retry-after'),
      text: await response.text(),
    };
  };
  const launchWith = async (overrides: Record<string, unknown> = {}, sign: Parameters<FakeLms['sign']>[1] = {}) => {
    const l = await login();
    const idToken = await lms.sign(claims(l.nonce, overrides), sign);
    return { ...(await post('/lti/launch', { id_token: idToken, state: l.state }, l.cookie)), idToken, login: l };
  };
  const tokenOf = (url: string) => new URLSearchParams(new URL(url).hash.slice(1)).get('token')!;
  const labIdOf = (url: string) => /\/labs\/([0-9a-f-]{36})\/page$/.exec(new URL(url).pathname)![1]!;
  const classOfLab = async (labId: string) => (await db.query('select "classId" from "Lab" where id = $1', [labId])).rows[0].classId as string;
  const ready = (labId: string) => waitFor(`lab ${labId} ready`, async () => (await stack.request('GET', `/labs/${labId}`)).body.status === 'ready', { timeoutMs: 150_000, intervalMs: 500 });
  const gradeOf = async (classId: string, externalId: string) =>
    (await stack.request('GET', `/classes/${classId}/progress`)).body.students.find((s: { externalId: string }) => s.externalId === externalId)?.grade;

  beforeAll(async () => {
    await lms.start();
    await stack.start();
    lms.toolJwksUrl = `${stack.apiUrl}/lti/jwks`;
  });

  afterAll(async () => {
    await stack.stop();
    await lms.stop();
    await db.end();
  });

  it('registers the platform and its deployment (admin only) and publishes the tool keys, the previous one kept on rotation', async () => {
    expect((await stack.request('POST', '/lti/platforms', { ...lms.registration(), jwksUrl: 'ftp://x' })).body.message).toMatch(/^jwksUrl: /);
    const created = await stack.request('POST', '/lti/platforms', lms.registration());
    expect(created.status).toBe(201);
    platformId = created.body.id;
    expect(created.body.deployments.map((d: { deploymentId: string }) => d.deploymentId)).toEqual([lms.deploymentId]);
    expect((await stack.request('POST', '/lti/platforms', lms.registration())).status).toBe(409);
    const listed = await stack.request('GET', '/lti/platforms');
    expect(listed.body.map((p: { issuer: string }) => p.issuer)).toContain(lms.issuer);

    const first = await (await fetch(`${stack.apiUrl}/lti/jwks`)).json();
    // One key on a fresh database (two when an earlier run rotated): never more than current + previous.
    expect(first.keys.length).toBeGreaterThanOrEqual(1);
    expect(first.keys.length).toBeLessThanOrEqual(2);
    expect(first.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(first.keys[0].d).toBeUndefined();
    const rotated = await stack.request('POST', '/lti/keys/rotate');
    expect(rotated.status).toBe(201);
    expect(rotated.body.published).toEqual([rotated.body.kid, first.keys[0].kid]);
    const after = await (await fetch(`${stack.apiUrl}/lti/jwks`)).json();
    expect(after.keys.map((k: { kid: string }) => k.kid)).toEqual([rotated.body.kid, first.keys[0].kid]);
  });

  it('a learner launch opens their own lab page (class and lab made on first launch); a later launch the same lab with a new token', async () => {
    const l = await login();
    expect(l.location.origin + l.location.pathname).toBe(`${lms.url}/auth`);
    expect(Object.fromEntries(l.location.searchParams)).toMatchObject({
      scope: 'openid',
      response_type: 'id_token',
      response_mode: 'form_post',
      prompt: 'none',
      client_id: lms.clientId,
      redirect_uri: `${stack.apiUrl}/lti/launch`,
      login_hint: 'hint-1',
    });
    expect(l.cookie).toContain(`lti_state_${l.state}=`);
    const first = await post('/lti/launch', { id_token: await lms.sign(claims(l.nonce)), state: l.state }, l.cookie);
    expect(first.status, first.text).toBe(303);
    expect(first.location).toMatch(new RegExp(`^${stack.apiUrl}/labs/[0-9a-f-]{36}/page#token=nls_`));
    const labId = labIdOf(first.location!);
    alice = { labId, token: tokenOf(first.location!), classId: await classOfLab(labId) };
    const page = await fetch(`${stack.apiUrl}${new URL(first.location!).pathname}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const lab = await stack.request('GET', `/labs/${labId}`, undefined, alice.token);
    expect(lab.status).toBe(200);
    expect(lab.body.studentExternalId).toBe('alice-sub');
    const cls = await stack.request('GET', `/classes/${alice.classId}`);
    expect(cls.body).toMatchObject({ name: 'RT2 Réseaux', labDefinitionId: 'docker-network', language: 'en' });

    const again = await launchWith();
    expect(again.status, again.text).toBe(303);
    expect(labIdOf(again.location!)).toBe(labId);
    const newToken = tokenOf(again.location!);
    expect(newToken).not.toBe(alice.token);
    expect((await stack.request('GET', `/labs/${labId}`, undefined, alice.token)).status).toBe(401);
    alice.token = newToken;
    expect((await stack.request('GET', `/classes/${alice.classId}`)).body.labs).toHaveLength(1);

    // The same form posted again: the nonce was spent.
    const replay = await post('/lti/launch', { id_token: again.idToken, state: again.login.state }, again.login.cookie);
    expect(replay.status).toBe(401);
    expect(reasonOf(replay.text)).toMatch(/replayed launch/);
  });

  it('a learner launching while the Docker hosts are full gets a 503 page saying so, with Retry-After, and is not added', async () => {
    // Every place taken: this deployment's labs queued and not placed yet, more than the hosts hold (removed below).
    const deployment = `test-${stack.runId}`;
    await db.query(
      `insert into "Lab" (id, "labDefinitionId", prefix, status, deployment, "updatedAt")
       select gen_random_uuid(), 'docker-network', 'nlfull-' || md5(random()::text), 'provisioning', $1, now() from generate_series(1, 5000)`,
      [deployment],
    );
    // A course launched for the first time: its class is made (empty), the learner's lab is refused.
    const course = { [`${C}context`]: { id: 'course-full', title: `Full ${stack.runId}`, label: 'FULL' }, sub: 'zoe-sub', name: 'Zoé Full' };
    const zoe = async () =>
      (await db.query(`select count(*)::int as n from "Student" s join "Class" c on c.id = s."classId" where c.name = $1 and s."externalId" = 'zoe-sub'`, [`Full ${stack.runId}`])).rows[0].n;
    try {
      const refused = await launchWith(course);
      expect(refused.status, refused.text).toBe(503);
      expect(refused.type).toMatch(/text\/html/);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(reasonOf(refused.text)).toMatch(/^NetLabs has no room for your lab right now: the Docker hosts are full: 1 of the 1 labs could not be placed \(room for 0 more now\); nobody was added\. Try again in \d+ s/);
      expect(refused.text).not.toMatch(/at \w+ \(/); // no stack trace
      expect(await zoe()).toBe(0);
    } finally {
      await db.query(`delete from "Lab" where deployment = $1 and prefix like 'nlfull-%'`, [deployment]);
    }
    // Room again: the same launch gives the learner their lab.
    const admitted = await launchWith(course);
    expect(admitted.status, admitted.text).toBe(303);
    expect(await zoe()).toBe(1);
  });

  it('each passed step posts steps passed / total to the line item, Moodle-shaped, with the score media type; the token is cached', async () => {
    await ready(alice.labId);
    const verify = await stack.request('POST', `/labs/${alice.labId}/steps/1a/verify`, { answer: ['bridge', 'host', 'none'] }, alice.token);
    expect(verify.body.passed, JSON.stringify(verify.body)).toBe(true);
    await waitFor('the score at the LMS', () => lms.scores.length === 1, { timeoutMs: 60_000 });
    expect(lms.scores[0]).toMatchObject({ url: '/lineitems/5/lineitem/scores?type_id=1', contentType: SCORE_TYPE });
    expect(lms.scores[0]!.body).toMatchObject({ userId: 'alice-sub', scoreGiven: 1, scoreMaximum: 9, gradingProgress: 'FullyGraded', activityProgress: 'InProgress' });
    await waitFor('grade sent in the grid', async () => (await gradeOf(alice.classId, 'alice-sub'))?.status === 'sent', { timeoutMs: 30_000 });
    expect(await gradeOf(alice.classId, 'alice-sub')).toMatchObject({ status: 'sent', scoreGiven: 1, scoreMaximum: 9 });

    // An LMS that fails twice, then takes it: the retried post gets there.
    lms.failScores = 2;
    const subnet = (await stack.request('GET', `/labs/${alice.labId}`)).body.values.bridgeSubnet;
    expect((await stack.request('POST', `/labs/${alice.labId}/steps/1b/verify`, { answer: subnet }, alice.token)).body.passed).toBe(true);
    await waitFor('the retried score at the LMS', () => lms.scores.length === 2, { timeoutMs: 90_000 });
    expect(lms.scores[1]!.body).toMatchObject({ scoreGiven: 2, scoreMaximum: 9 });
    expect(lms.scoreAttempts.slice(-3).map((a) => a.status)).toEqual([503, 503, 200]);
    await waitFor('grade sent after retries', async () => (await gradeOf(alice.classId, 'alice-sub'))?.status === 'sent', { timeoutMs: 30_000 });
    const attempts = await db.query('select attempts, status from "LtiGradePost" where "labId" = $1 order by "createdAt"', [alice.labId]);
    expect(attempts.rows).toEqual([{ attempts: 1, status: 'sent' }, { attempts: 3, status: 'sent' }]);
    expect(lms.tokenRequests).toEqual([{ ok: true }]);
  });

  it('an instructor launch opens the class dashboard with an instructor token of that class', async () => {
    const launched = await launchWith({ sub: 'prof-sub', [`${C}roles`]: [INSTRUCTOR] });
    expect(launched.status, launched.text).toBe(303);
    const target = new URL(launched.location!);
    expect(`${target.origin}${target.pathname}`).toBe(`${stack.apiUrl}/dashboard`);
    const fragment = new URLSearchParams(target.hash.slice(1));
    expect(fragment.get('class')).toBe(alice.classId);
    const token = fragment.get('token')!;
    expect(token).toMatch(/^nli_/);
    const session = await db.query('select "classId", source, subject from "InstructorSession" where "tokenHash" = $1', [createHash('sha256').update(token).digest('hex')]);
    expect(session.rows).toEqual([{ classId: alice.classId, source: 'lti', subject: 'prof-sub' }]);
    // The token opens its class (the dashboard's routes let its instructors in), unlike a forged one.
    const withToken = await stack.request('GET', `/classes/${alice.classId}`, undefined, token);
    expect(withToken.status).toBe(200);
    expect((await stack.request('GET', `/classes/${alice.classId}`, undefined, `nli_${'x'.repeat(43)}`)).status).toBe(401);
    expect((await stack.request('GET', `/classes/${alice.classId}`)).body.labs).toHaveLength(1);
  });

  it('refuses bad launches with a page saying why', async () => {
    const hs256 = new TextEncoder().encode('a-shared-secret-of-32-bytes-long!!');
    const noneToken = async (nonce: string) =>
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims(nonce), iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url')}.`;
    const cases: [string, () => Promise<{ status: number; text: string; type: string | null }>, RegExp][] = [
      ['wrong aud', () => launchWith({ aud: 'another-tool' }), /aud does not include NetLabs' client_id/],
      ['several audiences without azp', () => launchWith({ aud: [lms.clientId, 'another-tool'] }), /several audiences .* no azp/],
      ['unknown kid', () => launchWith({}, { kid: 'lms-unknown', key: lms.strayKey }), /no key with kid "lms-unknown"/],
      ['expired', () => launchWith({ exp: Math.floor(Date.now() / 1000) - 120 }, { expiresIn: -120 }), /has expired/],
      ['alg none', async () => { const l = await login(); return post('/lti/launch', { id_token: await noneToken(l.nonce), state: l.state }, l.cookie); }, /alg "none": NetLabs accepts RS256 only/],
      ['HS256', () => launchWith({}, { alg: 'HS256', key: hs256 }), /alg "HS256": NetLabs accepts RS256 only/],
      ['state mismatch', async () => {
        const [a, b] = [await login(), await login()];
        return post('/lti/launch', { id_token: await lms.sign(claims(b.nonce)), state: b.state }, a.cookie);
      }, /state mismatch/],
      ['nonce of another login', async () => {
        const [a, b] = [await login(), await login()];
        return post('/lti/launch', { id_token: await lms.sign(claims(a.nonce)), state: b.state }, b.cookie);
      }, /nonce is not the one NetLabs sent/],
      ['unknown deployment', () => launchWith({ [`${C}deployment_id`]: 'dep-unknown' }), /unknown deployment "dep-unknown"/],
      ['wrong version', () => launchWith({ [`${C}version`]: '1.1' }), /LTI version "1.1" is not supported/],
      ['missing resource link', () => launchWith({ [`${C}resource_link`]: undefined }), /no resource_link id/],
      ['no roles', () => launchWith({ [`${C}roles`]: undefined }), /no roles claim/],
      ['unknown message type', () => launchWith({ [`${C}message_type`]: 'LtiSubmissionReviewRequest' }), /message_type "LtiSubmissionReviewRequest"/],
    ];
    for (const [name, attempt, reason] of cases) {
      const answer = await attempt();
      expect(answer.status, `${name}: ${answer.text}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, name).toBeLessThan(500);
      expect(answer.type, name).toMatch(/^text\/html/);
      expect(reasonOf(answer.text), name).toMatch(reason);
      expect(answer.text, name).not.toMatch(/\bat .*\.(js|ts):\d+/);
    }
    // Login initiation refuses unknown issuers and targets elsewhere, also with a page.
    const unknown = await fetch(`${stack.apiUrl}/lti/login?${new URLSearchParams({ iss: 'https://nobody.example', login_hint: 'x', target_link_uri: `${stack.apiUrl}/lti/launch` })}`, { redirect: 'manual' });
    expect(unknown.status).toBe(403);
    expect(reasonOf(await unknown.text())).toMatch(/no platform is registered in NetLabs for issuer https:\/\/nobody\.example/);
    const elsewhere = await post('/lti/login', { iss: lms.issuer, login_hint: 'x', target_link_uri: 'https://evil.example/lti/launch', client_id: lms.clientId });
    expect(elsewhere.status).toBe(400);
    expect(reasonOf(elsewhere.text)).toMatch(/is not on NetLabs' own address/);
    expect((await db.query('select count(*)::int as n from "Lab" where "classId" = $1', [alice.classId])).rows[0].n).toBe(1);
  });

  it('deep linking: an instructor picks a lab and the platform gets a signed LtiDeepLinkingResponse', async () => {
    const returnUrl = `${lms.url}/deep-link-return`;
    const request = await launchWith({
      sub: 'prof-sub',
      [`${C}roles`]: [INSTRUCTOR],
      [`${C}message_type`]: 'LtiDeepLinkingRequest',
      [`${C}resource_link`]: undefined,
      'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': { deep_link_return_url: returnUrl, accept_types: ['ltiResourceLink'], data: 'opaque-42' },
    });
    expect(request.status, request.text).toBe(200);
    const ticket = /name="ticket" value="([^"]+)"/.exec(request.text)![1]!;
    expect(request.text).toContain('name="lab" value="docker-network"');
    const answer = await post('/lti/deep-link', { ticket, lab: 'docker-network' });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(`action="${returnUrl}"`);
    const jwt = /name="JWT" value="([^"]+)"/.exec(answer.text)![1]!;
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(`${stack.apiUrl}/lti/jwks`)), { issuer: lms.clientId, audience: lms.issuer, algorithms: ['RS256'] });
    expect(payload[`${C}message_type`]).toBe('LtiDeepLinkingResponse');
    expect(payload[`${C}deployment_id`]).toBe(lms.deploymentId);
    expect(payload['https://purl.imsglobal.org/spec/lti-dl/claim/data']).toBe('opaque-42');
    expect(payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items']).toEqual([
      expect.objectContaining({ type: 'ltiResourceLink', url: `${stack.apiUrl}/lti/launch`, custom: { lab: 'docker-network' }, lineItem: expect.objectContaining({ scoreMaximum: 9 }) }),
    ]);
    expect(reasonOf((await post('/lti/deep-link', { ticket, lab: 'docker-network' })).text)).toMatch(/expired or was already sent/);
    const learner = await launchWith({ [`${C}message_type`]: 'LtiDeepLinkingRequest', 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': { deep_link_return_url: returnUrl } });
    expect(learner.status).toBe(403);
    expect(reasonOf(learner.text)).toMatch(/only an instructor/);
  });

  it('a score the LMS cannot take is recorded failed with the reason: a role it does not grade, a revoked deployment', async () => {
    const mentor = await launchWith({ sub: 'mentor-sub', [`${C}roles`]: [MENTOR] });
    expect(mentor.status, mentor.text).toBe(303);
    const mentorLab = labIdOf(mentor.location!);
    await ready(mentorLab);
    const sentBefore = lms.scores.length;
    expect((await stack.request('POST', `/labs/${mentorLab}/steps/1a/verify`, { answer: ['none', 'bridge', 'host'] }, tokenOf(mentor.location!))).body.passed).toBe(true);
    const mentorGrade = await waitFor('mentor grade failed', async () => ((await gradeOf(alice.classId, 'mentor-sub'))?.status === 'failed' ? gradeOf(alice.classId, 'mentor-sub') : undefined), { timeoutMs: 30_000 });
    expect(mentorGrade).toMatchObject({ status: 'failed', scoreGiven: 1, scoreMaximum: 9 });
    expect(mentorGrade.error).toMatch(/learners only.*Mentor/);

    const revoked = await fetch(`${stack.apiUrl}/lti/platforms/${platformId}/deployments/${lms.deploymentId}`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.adminToken}` } });
    expect(revoked.status).toBe(200);
    const iface = (await stack.request('GET', `/labs/${alice.labId}`)).body.values.bridgeInterface;
    expect((await stack.request('POST', `/labs/${alice.labId}/steps/1c/verify`, { answer: iface }, alice.token)).body.passed).toBe(true);
    const aliceGrade = await waitFor('alice grade failed', async () => ((await gradeOf(alice.classId, 'alice-sub'))?.status === 'failed' ? gradeOf(alice.classId, 'alice-sub') : undefined), { timeoutMs: 30_000 });
    expect(aliceGrade).toMatchObject({ scoreGiven: 3, scoreMaximum: 9 });
    expect(aliceGrade.error).toMatch(/deployment dep-1 .* was revoked/);
    expect(lms.scores.length).toBe(sentBefore);
    const refused = await launchWith();
    expect(refused.status).toBe(403);
    expect(reasonOf(refused.text)).toMatch(/deployment "dep-1" .* was revoked/);
    expect((await stack.request('POST', `/lti/platforms/${platformId}/deployments`, { deploymentId: lms.deploymentId })).status).toBe(201);
  });
});

describe('students of a live class: POST /classes/:id/students, DELETE /classes/:id/students/:externalId', () => {
  const stack = new TestStack();
  let classId: string;

  beforeAll(async () => {
    await stack.start();
    classId = (await stack.createClassAndWait(['ana'], 'students e2e')).id;
  });
  afterAll(() => stack.stop());

  it('adds students with their links (201), refuses one already in (409, nobody added), removes one (202: token revoked, lab torn down)', async () => {
    const added = await stack.request('POST', `/classes/${classId}/students`, { students: [{ externalId: 'bob', displayName: 'Bob' }, { externalId: 'carl' }] });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.labs.map((l: { studentExternalId: string }) => l.studentExternalId)).toEqual(['bob', 'carl']);
    for (const lab of added.body.labs) {
      expect(lab).toMatchObject({ status: 'provisioning', token: expect.stringMatching(/^nls_/) });
      expect(lab.url).toBe(`${stack.apiUrl}/labs/${lab.id}/page#token=${lab.token}`);
    }
    const [bob] = added.body.labs;
    const again = await stack.request('POST', `/classes/${classId}/students`, { students: [{ externalId: 'dora' }, { externalId: 'ana' }] });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already in class .*: ana; nobody was added/);
    expect((await stack.request('POST', `/classes/${classId}/students`, { students: [] })).status).toBe(400);
    expect((await stack.request('POST', `/classes/${classId}/students`, { students: [{ externalId: 'x' }] }, bob.token)).status).toBe(403);
    const detail = await stack.waitForLabs(classId, (status) => status === 'ready', 150_000);
    expect(detail.labs.map((l: { studentExternalId: string }) => l.studentExternalId).sort()).toEqual(['ana', 'bob', 'carl']);
    expect((await stack.request('GET', `/labs/${bob.id}`, undefined, bob.token)).status).toBe(200);

    const removed = await stack.request('DELETE', `/classes/${classId}/students/bob`);
    expect(removed.status).toBe(202);
    expect(removed.body).toMatchObject({ labId: bob.id, status: 'destroying' });
    expect((await stack.request('GET', `/labs/${bob.id}`, undefined, bob.token)).status).toBe(401);
    await waitFor('bob lab destroyed', async () => (await stack.request('GET', `/labs/${bob.id}`)).body.status === 'destroyed', { timeoutMs: 90_000 });
    expect((await stack.request('DELETE', `/classes/${classId}/students/nobody`)).status).toBe(404);
    expect((await stack.request('DELETE', `/classes/${classId}`)).status).toBe(202);
    const late = await stack.request('POST', `/classes/${classId}/students`, { students: [{ externalId: 'eve' }] });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/was deleted/);
  });
});
