import { createTestDatabase } from './test-database';

/**
 * With DATABASE_URL: every run gets a fresh database on that server (dropped in teardown).
 * Without: each test app runs on its own in-memory embedded Postgres.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    process.env.TEST_DATABASE_SERVER_URL = serverUrl;
    process.env.DATABASE_URL = await createTestDatabase(serverUrl);
  } else {
    process.env.PGLITE_DATA_DIR = 'memory://';
  }
}
