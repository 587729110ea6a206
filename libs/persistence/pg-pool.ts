import { Pool, type QueryResult } from 'pg';

const PG_NAME_TYPE = 19;
const PG_TEXT_TYPE = 25;

/**
 * A pg Pool for Prisma's driver adapter. Postgres' internal `name` type (oid 19) is
 * reported as text, because Prisma's WASM schema engine cannot decode it when it reads
 * the catalog during `migrate deploy` (prisma/prisma#27403).
 */
export function createPgPool(connectionString: string, max = 10): Pool {
  const pool = new Pool({ connectionString, max });
  const originalQuery = pool.query.bind(pool) as (...args: unknown[]) => Promise<QueryResult>;
  (pool as unknown as { query: unknown }).query = async (...args: unknown[]) => {
    const result = await originalQuery(...args);
    for (const field of result?.fields ?? []) {
      if (field.dataTypeID === PG_NAME_TYPE) field.dataTypeID = PG_TEXT_TYPE;
    }
    return result;
  };
  return pool;
}
