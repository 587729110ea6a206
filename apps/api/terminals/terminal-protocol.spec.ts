import { describe, expect, it } from 'vitest';
import { humanDuration, isDeliberateClose, parseClientMessage, sizeParam } from './terminal-protocol';

describe('terminal protocol', () => {
  it('reads resize and input control messages', () => {
    expect(parseClientMessage('{"type":"resize","rows":40,"cols":120}')).toEqual({ type: 'resize', rows: 40, cols: 120 });
    expect(parseClientMessage('{"type":"input","data":"ls\\r"}')).toEqual({ type: 'input', data: 'ls\r' });
  });

  it('ignores anything else rather than failing', () => {
    for (const text of ['not json', '{"type":"resize"', 'null', '42', '[]', '{"type":"resize","rows":"40","cols":80}', '{"type":"resize","rows":1.5,"cols":80}',
      '{"type":"resize","rows":0,"cols":80}', '{"type":"resize","rows":40,"cols":100000}', '{"type":"input","data":5}', '{"type":"shell","cmd":"rm"}']) {
      expect(parseClientMessage(text), text).toBeNull();
    }
  });

  it('takes sane sizes from the upgrade query only', () => {
    expect(sizeParam('30', 500, 24)).toBe(30);
    expect(sizeParam(null, 500, 24)).toBe(24);
    expect(sizeParam('abc', 500, 24)).toBe(24);
    expect(sizeParam('9999', 500, 24)).toBe(24);
  });

  it('ends a session only on a deliberate close', () => {
    expect(isDeliberateClose(1000)).toBe(true);
    expect(isDeliberateClose(1005)).toBe(true);
    expect(isDeliberateClose(1001)).toBe(false);
    expect(isDeliberateClose(1006)).toBe(false);
  });

  it('says durations in words', () => {
    expect(humanDuration(15 * 60_000)).toBe('15 min');
    expect(humanDuration(1500)).toBe('2 s');
  });
});
