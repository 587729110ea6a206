import { describe, expect, it } from 'vitest';
import { randomStarts } from './allocation.repository';
import { isUniqueViolation } from './prisma-errors';

describe('isUniqueViolation', () => {
  it('recognises the client (P2002), raw-query (P2010 with 23505) and pg (23505) forms, nothing else', () => {
    expect(isUniqueViolation({ code: 'P2002' })).toBe(true);
    // As @prisma/adapter-pg 6.19 reports it (seen on the real database).
    const raw = (originalCode: string, kind: string) => ({ code: 'P2010', meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode, kind } } } });
    expect(isUniqueViolation(raw('23505', 'UniqueConstraintViolation'))).toBe(true);
    expect(isUniqueViolation(raw('22012', 'postgres'))).toBe(false);
    expect(isUniqueViolation({ code: 'P2010', meta: { code: '23505' } })).toBe(true);
    expect(isUniqueViolation({ code: 'P2010', meta: { code: '23503' } })).toBe(false);
    expect(isUniqueViolation({ code: 'P2010' })).toBe(false);
    // pg's DatabaseError, from a statement on the pg pool (ClassRepository.seat).
    expect(isUniqueViolation(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(true);
    expect(isUniqueViolation(Object.assign(new Error('violates foreign key constraint'), { code: '23503' }))).toBe(false);
    expect(isUniqueViolation(new Error('duplicate key'))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});

describe('randomStarts', () => {
  it('stays inside each range', () => {
    for (let i = 0; i < 200; i++) {
      const { subnetStart, portStart } = randomStarts({ subnetCount: 3, portMin: 20000, portMax: 20001 });
      expect([0, 1, 2]).toContain(subnetStart);
      expect([0, 1]).toContain(portStart);
    }
  });
});
