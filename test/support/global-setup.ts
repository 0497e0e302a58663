import { randomBytes } from 'node:crypto';
import { createTestDatabase } from './test-database';

/**
 * With DATABASE_URL: the run gets databases of its own on that server — one per test file (see
 * per-file-database.ts) plus one for code that reads DATABASE_URL at load time — all dropped in
 * teardown. Without: each test app runs on its own in-memory embedded Postgres.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    process.env.TEST_RUN_ID = randomBytes(4).toString('hex');
    process.env.TEST_DATABASE_SERVER_URL = serverUrl;
    process.env.DATABASE_URL = await createTestDatabase(serverUrl, process.env.TEST_RUN_ID);
    process.env.TEST_RUN_DATABASE_URL = process.env.DATABASE_URL;
  } else {
    process.env.PGLITE_DATA_DIR = 'memory://';
  }
}
