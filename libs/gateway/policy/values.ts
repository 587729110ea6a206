/** Small value checks shared by the policies. */

/** The CLI sends every option, most of them zero: null, "", 0, false, [] and {} (deeply) count as not given. */
export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as object).every(isEmpty);
  return false;
}

/** The student's own labels, without any that claim to be NetLabs'. */
export function ownLabels(raw: unknown): Record<string, string> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).filter(([k, v]) => !k.startsWith('netlabs.') && typeof v === 'string') as [string, string][],
  );
}
