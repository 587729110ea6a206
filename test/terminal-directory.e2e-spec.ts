import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../libs/config/app-config';
import { TerminalDirectory } from '../apps/api/terminals/terminal-directory';
import { TerminalRegistry } from '../apps/api/terminals/terminal.registry';
import { sleep } from './support/wait-for';

const LAB = '11111111-1111-4111-8111-111111111111';
const LEASE_MS = 1_000;

/** The Redis scripts of the terminal directory, as two API processes use them (real Redis, no engine). */
describe('TerminalDirectory on the real Redis', () => {
  const config = loadConfig({ ...process.env, ADMIN_TOKEN: 'x'.repeat(16), QUEUE_PREFIX: `nltest-dir-${Date.now()}`, TERMINAL_LEASE_MS: String(LEASE_MS), TERMINAL_TICKET_TTL_MS: '1000' });
  const a = new TerminalDirectory(config, new TerminalRegistry());
  const b = new TerminalDirectory(config, new TerminalRegistry());
  const ids = [1, 2, 3, 4, 5, 6].map((n) => `a0000000-0000-4000-8000-00000000000${n}`);

  beforeAll(async () => {
    await Promise.all([a.ready(5_000), b.ready(5_000)]);
    await Promise.all([a.heartbeat(), b.heartbeat()]);
  });
  afterAll(async () => {
    await a.onApplicationShutdown();
    await b.onApplicationShutdown();
  });

  it('six creations at once on two processes for 2 slots: exactly 2 taken; tickets single use; owner, misrouting and a dead owner told apart', async () => {
    const results = await Promise.all(ids.map((id, i) => (i % 2 ? a : b).reserve({ id, labId: LAB, container: 'console', actor: 'admin' }, 2, `hash-${i}`)));
    const taken = ids.filter((_, i) => !('live' in results[i]));
    expect(taken).toHaveLength(2);
    expect(results.filter((r) => 'live' in r)).toEqual(Array(4).fill({ live: 2 }));
    const [first, second] = taken;
    const record = (await a.get(first))!;
    expect(record).toMatchObject({ labId: LAB, container: 'console', owner: null, state: 'pending' });
    const hash = `hash-${ids.indexOf(first)}`;

    expect(await b.claim(record, 'forged')).toBe('bad-ticket');
    expect(await b.claim(record, hash)).toBe('claimed');
    expect(await b.claim(record, hash)).toBe('bad-ticket');
    expect(await a.issueTicket(LAB, first, 'next')).toMatchObject({ kind: 'ok', container: 'console' });
    expect(await a.issueTicket('22222222-2222-4222-8222-222222222222', first, 'other-lab')).toEqual({ kind: 'missing' });
    // Misrouted: refused without burning the ticket, which then works on the owner.
    expect(await a.claim(record, 'next')).toBe('elsewhere');
    expect(await b.claim(record, 'next')).toBe('mine');
    expect(await a.end(LAB, first)).toEqual({ kind: 'owner', owner: b.processId });
    expect((await a.list(LAB)).map((s) => s.id).sort()).toEqual([first, second].sort());

    // Nobody opened the second one: dropped once its ticket ran out, its slot free.
    expect(await a.expirePending(LAB, second)).toBeGreaterThan(0);
    await sleep(1_200);
    expect(await a.expirePending(LAB, second)).toBe(0);

    // b stops renewing (as if killed): within the lease its session is gone and stops counting.
    await b.onApplicationShutdown();
    await sleep(LEASE_MS + 200);
    expect(await a.issueTicket(LAB, first, 'late')).toEqual({ kind: 'owner-gone' });
    expect(await a.claim(record, 'late')).toBe('owner-gone');
    expect(await a.list(LAB)).toEqual([]);
    expect(await a.end(LAB, first)).toEqual({ kind: 'owner-gone' });
    const again = await a.reserve({ id: ids[5], labId: LAB, container: 'console', actor: 'admin' }, 1, 'h');
    expect(again).toHaveProperty('expiresAt');
  });

  it('sessions nobody holds: each taken by one process only, once their lease ran out; taken again if its taker never finishes', async () => {
    const lab = '33333333-3333-4333-8333-333333333333';
    const [owned, unopened] = ['b0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002'];
    // A deployment of its own (the sessions left by the test above must not be taken here), whose
    // lease outlasts the unopened session's ticket: its record is still there when its lease ends.
    const own = { ...config, QUEUE_PREFIX: `${config.QUEUE_PREFIX}-reap`, TERMINAL_LEASE_MS: 2_000 };
    const c = new TerminalDirectory(own, new TerminalRegistry());
    const others = [new TerminalDirectory(own, new TerminalRegistry()), new TerminalDirectory(own, new TerminalRegistry())];
    try {
      await Promise.all([c, ...others].map((d) => d.ready(5_000)));
      await Promise.all([c, ...others].map((d) => d.heartbeat()));
      await c.reserve({ id: owned, labId: lab, container: 'container1', actor: 'admin' }, 5, 'h1');
      await c.reserve({ id: unopened, labId: lab, container: 'console', actor: 'admin' }, 5, 'h2');
      expect(await c.claim((await c.get(owned))!, 'h1')).toBe('claimed');
      // Alive, or not past its lease: nobody takes anything.
      expect(await others[0].takeDead(60_000, [owned, unopened])).toEqual([]);
      await c.onApplicationShutdown();
      expect(await others[0].takeDead(60_000)).toEqual([]);

      await sleep(2_300);
      const HOLD_MS = 800;
      const taken = (await Promise.all([...others, ...others].map((d) => d.takeDead(HOLD_MS)))).flat();
      expect(taken.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
        { id: owned, kind: 'dead', labId: lab, container: 'container1' },
        { id: unopened, kind: 'unopened', labId: lab, container: 'console' },
      ]);
      // The dead one's record stays (a reconnect is told why); the unopened one is dropped; neither counts.
      expect(await others[1].issueTicket(lab, owned, 'x')).toEqual({ kind: 'owner-gone' });
      expect(await others[1].get(unopened)).toBeNull();
      expect(await others[1].list(lab)).toEqual([]);
      expect(await others[1].takeDead(HOLD_MS, [owned, unopened])).toEqual([]);

      // Its taker never said reaped() (it died too): once the hold ran out, another process takes it again.
      await sleep(HOLD_MS + 200);
      const again = await others[1].takeDead(HOLD_MS);
      expect(again.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
        { id: owned, kind: 'dead', labId: lab, container: 'container1' },
        { id: unopened, kind: 'gone', labId: null, container: null },
      ]);
      await Promise.all([others[1].reaped(owned), others[1].reaped(unopened)]);
      await sleep(HOLD_MS + 200);
      expect(await others[0].takeDead(HOLD_MS)).toEqual([]);
    } finally {
      for (const d of others) await d.onApplicationShutdown();
    }
  });
});
