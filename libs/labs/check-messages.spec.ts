import { describe, expect, it } from 'vitest';
import { checkMessage, MESSAGE_KEYS } from './check-messages';

const params = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('check messages', () => {
  it.each(MESSAGE_KEYS)('%s has both languages with the same parameters', (key) => {
    const fr = checkMessage('fr', key);
    const en = checkMessage('en', key);
    expect(fr).not.toBe('');
    expect(params(fr)).toEqual(params(en));
  });

  it('fills the parameters it is given', () => {
    expect(checkMessage('fr', 'running.not-found', { container: 'mon-serveur', how: 'docker run -d httpd' })).toBe(
      'conteneur mon-serveur : introuvable — démarrez-le avec docker run -d httpd',
    );
  });
});
