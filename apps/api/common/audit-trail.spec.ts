import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditRepository } from '../../../libs/persistence/audit.repository';
import type { Actor } from './actor';
import { auditTrail } from './audit-trail';

/** An Express app as create-api.ts builds it (the trail first), whose routes set the actor as the auth guard does. */
function setup() {
  const recorded: AuditEntry[] = [];
  const audit = { record: async (entry: AuditEntry) => void recorded.push(entry) } as unknown as AuditRepository;
  const app = express();
  app.use(auditTrail(audit));
  const as = (actor: Actor | undefined) => (req: express.Request, _res: express.Response, next: express.NextFunction) => {
    (req as express.Request & { actor?: Actor }).actor = actor;
    next();
  };
  const lab = { kind: 'student', labId: '11111111-1111-4111-8111-111111111111' } as unknown as Actor;
  app.post('/classes', as({ kind: 'admin' }), (_req, res) => void res.status(201).json({ id: 'c1', labs: [] }));
  app.post('/labs/:id/steps/:step/verify', as(lab), (_req, res) => void res.json({ passed: true }));
  app.post('/labs/:id/reset', as(lab), (_req, res) => void res.status(409).json({ statusCode: 409 }));
  app.delete('/classes/:id', as(undefined), (_req, res) => void res.status(202).json({}));
  app.get('/labs/:id', as(lab), (_req, res) => void res.json({}));
  return { app, recorded };
}

describe('auditTrail', () => {
  const { app, recorded } = setup();
  let server: ReturnType<typeof app.listen>;
  let base = '';
  beforeAll(async () => {
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const send = async (method: string, path: string) => {
    const response = await fetch(`${base}${path}`, { method });
    await response.text();
    // The row is recorded as the answer finishes: let that event run.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return response.status;
  };

  it('records a change answered with success: who, the route, its ids, the step, the created class', async () => {
    recorded.length = 0;
    expect(await send('POST', '/classes')).toBe(201);
    expect(await send('POST', '/labs/l1/steps/1b/verify')).toBe(200);
    expect(recorded).toEqual([
      { actor: 'admin', action: 'POST /classes', classId: 'c1', labId: undefined, detail: undefined },
      { actor: expect.stringMatching(/^student/), action: 'POST /labs/:id/steps/:step/verify', classId: undefined, labId: 'l1', detail: { step: '1b' } },
    ]);
  });

  it('records no read, no refused request and no request without an actor', async () => {
    recorded.length = 0;
    expect(await send('GET', '/labs/l1')).toBe(200);
    expect(await send('POST', '/labs/l1/reset')).toBe(409);
    expect(await send('DELETE', '/classes/c1')).toBe(202);
    expect(recorded).toEqual([]);
  });
});
