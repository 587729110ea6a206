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
});
