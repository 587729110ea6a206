/**
 * True when Prisma reports a unique constraint violation: P2002, or from a raw query
 * P2010 with the driver adapter's cause (Postgres' 23505); or pg itself does (23505, a
 * statement sent on the pg pool).
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: string; meta?: { code?: string; driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } };
  if (code === 'P2002' || code === '23505') return true;
  if (code !== 'P2010') return false;
  const cause = meta?.driverAdapterError?.cause;
  return meta?.code === '23505' || cause?.originalCode === '23505' || cause?.kind === 'UniqueConstraintViolation';
}
