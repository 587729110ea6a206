import { describe, expect, it } from 'vitest';
import { Refusal } from '../refusal';
import { rewriteDockerfile } from './dockerfile';

/** Shared images map to their engine refs; anything else is the lab's own namespace (lab-x/...). */
const toEngine = (ref: string) => {
  if (ref.includes('/')) throw new Refusal(400, `invalid reference format: "${ref}"`);
  return ref.startsWith('httpd') ? 'local/httpd:2.4' : `lab-x/${ref}`;
};
const sut = (text: string, args: Record<string, string> = {}) => rewriteDockerfile(text, toEngine, args);
const refusal = (text: string) => {
  try {
    sut(text);
  } catch (err) {
    if (err instanceof Refusal) return err.message;
    throw err;
  }
  return 'not refused';
};

describe('rewriteDockerfile', () => {
  it('rewrites FROM lines to the engine images, ARGs expanded', () => {
    expect(sut('ARG B=httpd\nFROM ${B} AS web\nCOPY --from=web /a /b\n')).toBe('ARG B=httpd\nFROM local/httpd:2.4 AS web\nCOPY --from=web /a /b\n');
  });

  it('joins continuation lines as the builder does, so a FROM cannot hide behind them', () => {
    expect(refusal('FROM httpd AS base\nFROM other/image \\\n  AS stolen\n')).toMatch(/invalid reference format/);
    expect(refusal('FROM httpd AS base\nFR\\\nOM other/image\n')).toMatch(/invalid reference format/);
    expect(refusal('FROM httpd AS base\nFROM \\\n# a comment inside\n\nother/image\n')).toMatch(/invalid reference format/);
    expect(refusal('# escape=`\nFROM httpd AS base\nFR`\nOM other/image\n')).toMatch(/invalid reference format/);
    // A RUN split over lines still works, as one line.
    expect(sut('FROM httpd\nRUN echo a \\\n  && echo b\n')).toBe('FROM local/httpd:2.4\nRUN echo a   && echo b\n');
  });

  it('refuses a FROM it cannot read', () => {
    expect(refusal('FROM httpd AS base\nFROM httpd AS x y\n')).toMatch(/cannot be read/);
  });

  it('refuses ADD from a URL or a variable (the engine would fetch it from the host)', () => {
    expect(refusal('FROM httpd\nADD http://127.0.0.1:3000/ /x\n')).toMatch(/ADD .*not available in a lab/);
    expect(refusal('FROM httpd\nadd --chown=1 HTTPS://example.org/x /x\n')).toMatch(/ADD .*not available in a lab/);
    expect(refusal('FROM httpd\nARG U=http://127.0.0.1/\nADD $U /x\n')).toMatch(/ADD .*not available in a lab/);
    expect(refusal('FROM httpd\nONBUILD ADD http://127.0.0.1/ /x\n')).toMatch(/ADD .*not available in a lab/);
    expect(refusal('FROM httpd\nADD \\\n  http://127.0.0.1/ /x\n')).toMatch(/ADD .*not available in a lab/);
    expect(sut('FROM httpd\nADD site.tar /var/www/\n')).toContain('ADD site.tar /var/www/');
  });

  it('refuses COPY --from naming an image, also inside ONBUILD', () => {
    expect(refusal('FROM httpd\nCOPY --from=ubuntu /etc /x\n')).toMatch(/--from may only name an earlier build stage/);
    expect(refusal('FROM httpd\nONBUILD COPY --from=ubuntu /etc /x\n')).toMatch(/--from may only name an earlier build stage/);
  });
});
