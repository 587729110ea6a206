import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../libs/metrics/metrics';
import { JobName } from '../../../libs/queue/jobs';
import { recordJob } from './job-metrics';

const job = (name: string, processedOn: number) => ({ name, processedOn }) as unknown as Job;

async function values(metrics: Metrics, name: string) {
  return (await metrics.registry.getSingleMetric(name)!.get()).values as { metricName?: string; labels: Record<string, string | number>; value: number }[];
}

describe('recordJob', () => {
  it('observes a provisioning attempt by outcome, with its duration', async () => {
    const sut = new Metrics('worker');
    recordJob(sut, 'labs', job(JobName.ProvisionLab, 1_000), { failed: false, result: { outcome: 'ready' } }, 3_500);
    const found = await values(sut, 'netlabs_lab_provision_duration_seconds');
    expect(found.find((v) => v.metricName === 'netlabs_lab_provision_duration_seconds_sum' && v.labels.outcome === 'ready')?.value).toBe(2.5);
    expect(found.find((v) => v.metricName === 'netlabs_lab_provision_duration_seconds_count')?.labels).toMatchObject({ job: 'provision-lab', outcome: 'ready' });
  });

  it('a verify is passed, failed, or an error when the job threw; every attempt is counted', async () => {
    const sut = new Metrics('worker');
    recordJob(sut, 'steps', job(JobName.VerifyStep, 1), { failed: false, result: { passed: true } }, 100);
    recordJob(sut, 'steps', job(JobName.VerifyStep, 1), { failed: false, result: { passed: false } }, 100);
    recordJob(sut, 'steps', job(JobName.VerifyStep, 1), { failed: true }, 100);
    const counts = (await values(sut, 'netlabs_step_verify_duration_seconds')).filter((v) => v.metricName?.endsWith('_count'));
    expect(Object.fromEntries(counts.map((v) => [v.labels.outcome, v.value]))).toEqual({ passed: 1, failed: 1, error: 1 });
    const jobs = await values(sut, 'netlabs_jobs_total');
    expect(jobs.map((v) => [v.labels.result, v.value]).sort()).toEqual([['completed', 2], ['failed', 1]]);
  });

  it('grade posts start at zero for every outcome', async () => {
    const sut = new Metrics('api');
    expect((await values(sut, 'netlabs_grade_posts_total')).map((v) => [v.labels.outcome, v.value])).toEqual([['posted', 0], ['retried', 0], ['failed', 0]]);
  });
});
