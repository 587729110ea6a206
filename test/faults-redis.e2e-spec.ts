import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findLeaks } from './support/leak-check';
import { QUICK_RECOVERY } from './support/stack';
import { sleep } from './support/wait-for';
import { startedStack } from './support/started-stack';

/** Redis shut down without saving (every queue, lease and session gone), then started again. */
function restartRedis(): void {
  execFileSync('sh', ['-c', 'redis-cli -h 127.0.0.1 shutdown nosave || true']);
  execFileSync('bash', ['infra/services.sh'], { stdio: 'ignore' });
}

// In the e2e-serial group (vitest.config.mts): restarting Redis disturbs every stack on the machine.
describe('faults: a Redis restart', () => {
  const { stack, db } = startedStack(QUICK_RECOVERY);
  const classIds: string[] = [];

  it('restarting Redis (nothing kept) and the worker while 10 labs provision: all converge to ready', async () => {
    const created = await stack.request('POST', '/classes', {
      name: 'redis restart',
      labDefinitionId: 'docker-network',
      students: Array.from({ length: 10 }, (_, i) => ({ externalId: `r${i}` })),
    });
    expect(created.status).toBe(201);
    classIds.push(created.body.id);
    await sleep(300);
    await stack.killWorker();
    restartRedis();
    stack.startWorker();
    const final = await stack.waitForLabs(created.body.id, (status) => status !== 'provisioning', 120_000);
    expect(final.labs.map((l: { status: string }) => l.status)).toEqual(Array(10).fill('ready'));
    expect(await findLeaks(db, `test-${stack.runId}`, classIds)).toEqual({ orphans: [], duplicates: [], strayAllocations: [] });
  });
});
