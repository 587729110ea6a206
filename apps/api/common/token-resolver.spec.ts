import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../libs/config/app-config';
import type { InstructorSessionRepository } from '../../../libs/persistence/instructor-session.repository';
import type { LabRepository } from '../../../libs/persistence/lab.repository';
import { AddressLimiter } from './address-limiter';
import type { RateLimitStore, WindowCount } from './rate-limit.store';
import { TokenResolver } from './token-resolver';
import { hashToken } from './tokens';

const ADMIN = 'admin-token-0123456789abcdef';
const LAB = '11111111-1111-4111-8111-111111111111';
const config = { ADMIN_TOKEN: ADMIN, RATE_LIMIT_ANON: 3 } as AppConfig;

/** Counters in memory, windows never ending (the test plays one minute). */
class FakeStore {
  counts = new Map<string, number>();
  async count(key: string) {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  async peek(key: string): Promise<WindowCount> {
    return { hits: this.counts.get(key) ?? 0, msLeft: 30_000 };
  }
}

/** The one lookup the resolver makes (token and lab together); counts them. */
class FakeLabs {
  lookups = 0;
  constructor(private readonly valid: Map<string, string>) {}
  async snapshotByStudentTokenHash(hash: string) {
    this.lookups++;
    const id = this.valid.get(hash);
    return id ? { id, status: 'ready' } : null;
  }
}

const CLASS = '22222222-2222-4222-8222-222222222222';

/** Dashboard links: one valid, looked up by hash only. */
class FakeInstructors {
  lookups = 0;
  async findClassByTokenHash(hash: string) {
    this.lookups++;
    return hash === hashToken('nli_good') ? CLASS : null;
  }
}

function setUp() {
  const store = new FakeStore();
  const labs = new FakeLabs(new Map([[hashToken('nls_good'), LAB]]));
  const instructors = new FakeInstructors();
  const sut = new TokenResolver(config, labs as unknown as LabRepository, instructors as unknown as InstructorSessionRepository, new AddressLimiter(config, store as unknown as RateLimitStore));
  return { store, labs, instructors, sut };
}

const status = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: HttpException) => error.getStatus());

describe('TokenResolver', () => {
  it('resolves the admin token without a lookup and a student token with one', async () => {
    const { labs, sut } = setUp();
    expect(await sut.resolve(ADMIN, '10.0.0.1')).toEqual({ kind: 'admin' });
    expect(labs.lookups).toBe(0);
    // The lab comes with the token, from the same lookup.
    expect(await sut.resolve('nls_good', '10.0.0.1')).toEqual({ kind: 'student', labId: LAB, lab: { id: LAB, status: 'ready' } });
    expect(labs.lookups).toBe(1);
  });

  it('counts requests without a valid token per address, and past the limit refuses them before any lookup', async () => {
    const { labs, sut } = setUp();
    expect(await sut.resolve(undefined, '10.0.0.1')).toBeNull();
    expect(await sut.resolve('nls_bad1', '::ffff:10.0.0.1')).toBeNull();
    expect(await sut.resolve('nls_bad2', '10.0.0.1')).toBeNull();
    expect(labs.lookups).toBe(2);
    expect(await status(sut.resolve('nls_bad3', '10.0.0.1'))).toBe(429);
    expect(await status(sut.resolve(undefined, '10.0.0.1'))).toBe(429);
    expect(labs.lookups).toBe(2);
    // Another address is not concerned.
    expect(await sut.resolve('nls_bad4', '10.0.0.2')).toBeNull();
  });

  it('lets the admin and a student token it found valid through an address over its limit; a new token waits', async () => {
    const { labs, sut } = setUp();
    await sut.resolve('nls_good', '10.0.0.1');
    for (const token of ['a', 'b', 'c']) await sut.resolve(`nls_${token}`, '10.0.0.1');
    expect(await sut.resolve('nls_good', '10.0.0.1')).toMatchObject({ kind: 'student', labId: LAB });
    expect(await sut.resolve(ADMIN, '10.0.0.1')).toEqual({ kind: 'admin' });
    const lookups = labs.lookups;
    expect(await status(sut.resolve('nls_unseen', '10.0.0.1'))).toBe(429);
    expect(labs.lookups).toBe(lookups);
  });

  it('resolves a dashboard token to its class, looking in the dashboard links only; an unknown one counts as invalid', async () => {
    const { labs, instructors, store, sut } = setUp();
    expect(await sut.resolve('nli_good', '10.0.0.1')).toEqual({ kind: 'instructor', classId: CLASS });
    expect(await sut.resolve('nli_bad', '10.0.0.1')).toBeNull();
    expect({ instructorLookups: instructors.lookups, labLookups: labs.lookups }).toEqual({ instructorLookups: 2, labLookups: 0 });
    expect([...store.counts.values()]).toEqual([1]);
  });

  it('counts requests with a valid token not at all', async () => {
    const { store, sut } = setUp();
    for (let i = 0; i < 10; i++) await sut.resolve('nls_good', '10.0.0.1');
    expect([...store.counts.values()]).toEqual([]);
  });
});
