import { describe, expect, it } from 'vitest';
import { sliceOfPool, sliceOfPorts } from './slices';

describe('slices of the e2e pool and port range between workers', () => {
  it('halves a pool into two that do not overlap', () => {
    expect(sliceOfPool('10.98.0.0/15', 2, 1)).toBe('10.98.0.0/16');
    expect(sliceOfPool('10.98.0.0/15', 2, 2)).toBe('10.99.0.0/16');
    expect(sliceOfPool('10.97.160.0/19', 2, 2)).toBe('10.97.176.0/20');
    expect(sliceOfPool('10.96.0.0/14', 4, 3)).toBe('10.98.0.0/16');
  });

  it('refuses a pool too small to share, or a count that does not halve', () => {
    expect(() => sliceOfPool('10.98.0.0/24', 2, 1)).toThrow(/too small/);
    expect(() => sliceOfPool('10.98.0.0/16', 3, 1)).toThrow(/power of two/);
    expect(() => sliceOfPool('nope', 2, 1)).toThrow(/not an IPv4 CIDR/);
  });

  it('splits a port range', () => {
    expect(sliceOfPorts(30000, 32767, 2, 1)).toEqual([30000, 31383]);
    expect(sliceOfPorts(30000, 32767, 2, 2)).toEqual([31384, 32767]);
  });
});
