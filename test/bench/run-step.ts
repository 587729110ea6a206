import type { TestStack } from '../support/stack';
import { waitFor } from '../support/wait-for';

/**
 * Runs a step's reference solution on a lab as the admin and returns its result: the POST's
 * answer (200), or, when the run is slower than STEP_WAIT_MS (202, common on a loaded
 * machine), its job's result once completed. Throws on any other outcome.
 */
export async function runStep(stack: TestStack, labId: string, step: string): Promise<{ succeeded?: boolean; [key: string]: unknown }> {
  const posted = await stack.request('POST', `/labs/${labId}/steps/${step}/run`, {});
  if (posted.status === 200) return posted.body;
  if (posted.status !== 202) throw new Error(`run ${step} on ${labId}: ${posted.status} ${JSON.stringify(posted.body).slice(0, 400)}`);
  return waitFor(
    `run ${step} on ${labId} to complete`,
    async () => {
      const job = await stack.request('GET', posted.body.resultUrl);
      if (job.body.state === 'failed') throw new Error(`run ${step} on ${labId} failed: ${job.body.message}`);
      return job.body.state === 'completed' ? job.body.result : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 250 },
  );
}
