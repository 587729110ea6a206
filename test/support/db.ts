import { Pool } from 'pg';

/** Direct read access to the test database, to check what the API stored. */
export function testDb(): Pool {
  return new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
}
