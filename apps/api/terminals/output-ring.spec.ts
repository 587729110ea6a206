import { describe, expect, it } from 'vitest';
import { OutputRing } from './output-ring';

describe('OutputRing', () => {
  it('gives back everything while under capacity, from any offset', () => {
    const sut = new OutputRing(16);
    sut.push(Buffer.from('hello '));
    sut.push(Buffer.from('world'));
    expect(sut.since(0)).toEqual({ data: Buffer.from('hello world'), from: 0, lost: false });
    expect(sut.since(6)).toEqual({ data: Buffer.from('world'), from: 6, lost: false });
    expect(sut.since(11).data.length).toBe(0);
  });

  it('keeps only the last bytes and says when asked-for output was overwritten', () => {
    const sut = new OutputRing(8);
    sut.push(Buffer.from('0123456'));
    sut.push(Buffer.from('789ab'));
    expect(sut.end).toBe(12);
    expect(sut.oldest).toBe(4);
    expect(sut.since(0)).toEqual({ data: Buffer.from('456789ab'), from: 4, lost: true });
    expect(sut.since(9)).toEqual({ data: Buffer.from('9ab'), from: 9, lost: false });
  });

  it('takes a chunk larger than itself by keeping its tail', () => {
    const sut = new OutputRing(4);
    sut.push(Buffer.from('ab'));
    sut.push(Buffer.from('cdefghij'));
    expect(sut.since(0)).toEqual({ data: Buffer.from('ghij'), from: 6, lost: true });
    sut.push(Buffer.from('k'));
    expect(sut.since(7).data.toString()).toBe('hijk');
  });

  it('treats an offset that cannot be ours as "from the start"', () => {
    const sut = new OutputRing(8);
    sut.push(Buffer.from('abc'));
    expect(sut.since(99).data.toString()).toBe('abc');
    expect(sut.since(-1).data.toString()).toBe('abc');
    expect(sut.since(Number.NaN).data.toString()).toBe('abc');
  });

  it('wraps many times without losing order', () => {
    const sut = new OutputRing(10);
    let all = '';
    for (let i = 0; i < 50; i++) {
      const chunk = `<${i}>`;
      all += chunk;
      sut.push(Buffer.from(chunk));
    }
    expect(sut.since(0).data.toString()).toBe(all.slice(-10));
  });
});
