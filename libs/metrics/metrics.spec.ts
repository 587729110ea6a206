import { describe, expect, it } from 'vitest';
import { histogramCount, parsePrometheus, sampleValue } from '../../test/support/prometheus-text';
import { Metrics } from './metrics';

describe('Metrics', () => {
  it('writes an exposition the strict reader of the e2e tests accepts, labels escaped', async () => {
    const sut = new Metrics('worker');
    sut.verifyDuration.observe({ outcome: 'passed' }, 0.2);
    sut.gauge('test_gauge', 'h', ['a'], (set) => set({ a: 'q"\\x' }, 3));
    const families = parsePrometheus((await sut.text()).body);
    expect(histogramCount(families, 'netlabs_step_verify_duration_seconds', { outcome: 'passed', process: 'worker' })).toBe(1);
    expect(sampleValue(families, 'test_gauge', { a: 'q"\\x' })).toBe(3);
    expect(sampleValue(families, 'netlabs_grade_posts_total', { outcome: 'posted' })).toBe(0);
  });

  it('the reader refuses what is not the text format', async () => {
    const text = (await new Metrics('api').text()).body;
    expect(() => parsePrometheus(`${text}\nnetlabs_x{ 1\n`)).toThrow(/not a sample/);
    expect(() => parsePrometheus('# TYPE a counter\na 1\na 2\n')).toThrow(/repeated/);
    expect(() => parsePrometheus('b 1\n')).toThrow(/TYPE/);
    expect(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n')).toThrow(/decrease/);
    expect(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 2\n')).toThrow(/count/);
  });
});
