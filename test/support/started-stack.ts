import type { Pool } from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { testDb } from './db';
import { TestStack } from './stack';

/**
 * A TestStack started before the file's tests and stopped after them (even when they
 * fail), with a pool on the test database to check what it stored. Call it in a describe.
 */
export function startedStack(overrides: Record<string, string> = {}): { stack: TestStack; db: Pool } {
  const stack = new TestStack(overrides);
  const db = testDb(); // connects on its first query
  beforeAll(() => stack.start());
  afterAll(async () => {
    await stack.stop();
    await db.end();
  });
  return { stack, db };
}
