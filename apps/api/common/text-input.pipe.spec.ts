import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { TextInputPipe } from './text-input.pipe';

const body = { type: 'body' } as const;

/** The message of the 400 the pipe throws for `value`, or null when it lets it through. */
function refusal(value: unknown, metadata: Parameters<TextInputPipe['transform']>[1] = body): string | null {
  try {
    new TextInputPipe().transform(value, metadata);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).message;
  }
}

describe('TextInputPipe', () => {
  it('lets ordinary text through, accents, emoji (paired surrogates) and all', () => {
    const sut = new TextInputPipe();
    const value = { name: 'RT2 groupe A — élèves 🐳', students: [{ externalId: 'zoë' }], answer: ['bridge', 'host'], n: 3, ok: true, none: null };
    expect(sut.transform(value, body)).toBe(value);
    expect(refusal('10.96.4.0/24', { type: 'param', data: 'id' })).toBeNull();
  });

  it('names the field holding a NUL character, however deep', () => {
    expect(refusal({ answer: 'a\u0000b' })).toMatch(/^answer: must not contain a NUL character/);
    expect(refusal({ students: [{ externalId: 'ok' }, { externalId: 'eve\u0000' }] })).toMatch(/^students\[1\]\.externalId: /);
    expect(refusal({ answer: ['bridge', '\u0000'] })).toMatch(/^answer\[1\]: /);
  });

  it('refuses unpaired surrogates, high or low, alone or doubled', () => {
    for (const bad of ['\ud800', 'x\udc00y', '\ud800\ud800', 'end\ud83d', '\udfffstart']) {
      expect(refusal({ name: bad }), JSON.stringify(bad)).toMatch(/^name: must not contain an unpaired surrogate/);
    }
  });

  it('refuses a bad field name without echoing it', () => {
    const message = refusal({ 'replay\u0000': true });
    expect(message).toMatch(/^body: a field name contains a NUL character/);
    expect(message).not.toContain('\u0000');
    expect(refusal({ nested: { '\ud800': 1 } })).toMatch(/^nested: a field name contains an unpaired surrogate/);
  });

  it('checks route params and query strings under their names', () => {
    expect(refusal('fr\u0000', { type: 'query', data: 'lang' })).toMatch(/^lang: /);
    expect(refusal({ lang: '\udc00' }, { type: 'query' })).toMatch(/^lang: /);
    expect(refusal('1a\u0000', { type: 'param', data: 'step' })).toMatch(/^step: /);
  });

  it('leaves custom decorators (the caller, resolved by us) alone', () => {
    expect(refusal({ kind: '\u0000' }, { type: 'custom' })).toBeNull();
  });

  it('refuses nesting too deep to walk rather than overflowing the stack', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(refusal({ answer: deep })).toMatch(/nested more than 64 levels deep/);
  });
});
