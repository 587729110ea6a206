import { expect } from 'vitest';
import type { TestStack } from './stack';

/**
 * Step 2a on a lab, as its student: the verify fails, the solution runs, the verify passes.
 * Its check reads the engine (the httpd container and its published port), so on a remote
 * host it proves the API and the worker both reach that engine.
 */
export async function expectStep2aRunsAndPasses(stack: TestStack, lab: { id: string; token: string }): Promise<void> {
  const before = await stack.request('POST', `/labs/${lab.id}/steps/2a/verify`, {}, lab.token);
  expect(before.body.passed).toBe(false);
  const ran = await stack.request('POST', `/labs/${lab.id}/steps/2a/run`, {}, lab.token);
  expect(ran.body.succeeded, ran.body.output).toBe(true);
  const after = await stack.request('POST', `/labs/${lab.id}/steps/2a/verify`, {}, lab.token);
  expect(after.body.passed, JSON.stringify(after.body.checks)).toBe(true);
}
