/** Small value checks shared by the policies. */

const isZero = (v: unknown) => v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);

/**
 * The CLI sends every option, most of them zero: null, "", 0, false, [] and {} count as not
 * given, and so does an object whose values are all such zeros (`{"Type":"","Name":""}`).
 * A key mapped to an object is a value (`Volumes: {"/data": {}}` asks for a volume).
 */
export function isEmpty(v: unknown): boolean {
  if (isZero(v)) return true;
  if (Array.isArray(v)) return false;
  if (typeof v === 'object') return Object.values(v as object).every(isZero);
  return false;
}

/** The student's own labels, without any that claim to be NetLabs'. */
export function ownLabels(raw: unknown): Record<string, string> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).filter(([k, v]) => !k.startsWith('netlabs.') && typeof v === 'string') as [string, string][],
  );
}
