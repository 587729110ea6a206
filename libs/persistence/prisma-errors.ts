/** True when Prisma reports a unique constraint violation (P2002; from a raw query: P2010 with Postgres' 23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: string; meta?: { code?: string } };
  return code === 'P2002' || (code === 'P2010' && meta?.code === '23505');
}
