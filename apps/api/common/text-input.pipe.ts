import { type ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** U+0000, which Postgres cannot store in text or jsonb. */
const NUL = /\u0000/;
/** A high surrogate without its low half, or a low one without its high half: not text in any encoding. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Nesting past this is refused rather than walked (a body is at most 256 kB anyway). */
const MAX_DEPTH = 64;

/**
 * Refuses, with a 400 naming the field, any body, route param or query string holding a
 * NUL character or an unpaired UTF-16 surrogate (`"\u0000"`, `"\ud800"` are valid JSON).
 * Nothing downstream can use them and Postgres refuses them, which used to surface as a
 * 5xx carrying database internals. Global (APP_PIPE), so it runs before every route's own
 * pipes: one place for every schema, present and future.
 */
@Injectable()
export class TextInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // Custom decorators (the caller) are ours, not the client's.
    if (metadata.type === 'custom') return value;
    const root = metadata.type === 'body' ? '' : (metadata.data ?? '');
    const problem = findBadText(value, root, 0);
    if (problem) throw new BadRequestException(`${problem.path || metadata.type}: ${problem.message}`);
    return value;
  }
}

/** The first string (or object key) that is not storable text, with where it is. */
export function findBadText(value: unknown, path: string, depth: number): { path: string; message: string } | null {
  if (typeof value === 'string') {
    const message = textProblem(value);
    return message ? { path, message } : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth > MAX_DEPTH) return { path, message: `nested more than ${MAX_DEPTH} levels deep` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = textProblem(key);
    // The key itself cannot be printed: it is the bad text. Its object is named instead.
    if (keyProblem) return { path, message: `a field name ${keyProblem.replace(/^must not contain/, 'contains')}` };
    const found = findBadText(item, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}

function textProblem(text: string): string | null {
  if (NUL.test(text)) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'must not contain an unpaired surrogate (\\ud800-\\udfff without its pair): not valid Unicode text';
  return null;
}
