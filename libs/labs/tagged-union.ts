import { z } from 'zod';

/**
 * A union of object schemas picked by a tag field (`type` for checks, `do` for actions),
 * from a registry that can grow. Unlike z.discriminatedUnion, an unknown tag gets a
 * message naming it (`unknown check type "netwrk"`) at the tag's own path, and the
 * chosen schema's issues keep their paths, so load errors point at the exact field.
 */
export function taggedUnion<T>(
  kind: string,
  tag: string,
  registry: Record<string, { schema: z.ZodType<unknown, z.ZodTypeDef, unknown> }>,
  /** How messages call the tag: `type` gives "unknown check type ...", '' gives "unknown action ...". */
  word = tag,
): z.ZodType<T, z.ZodTypeDef, unknown> {
  return z.unknown().transform((raw, ctx): T => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a ${kind} object` });
      return z.NEVER;
    }
    const value = (raw as Record<string, unknown>)[tag];
    const entry = typeof value === 'string' && Object.prototype.hasOwnProperty.call(registry, value) ? registry[value] : undefined;
    if (!entry) {
      const known = Object.keys(registry).sort().join(', ');
      const what = word ? `${kind} ${word}` : kind;
      const message = value === undefined ? `missing ${what} (${tag}: one of ${known})` : `unknown ${what} ${JSON.stringify(value)} (known: ${known})`;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [tag], message });
      return z.NEVER;
    }
    const parsed = entry.schema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, path: issue.path, message: issue.message });
      return z.NEVER;
    }
    return parsed.data as T;
  });
}
