import { dropRunDatabases } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const server = process.env.TEST_DATABASE_SERVER_URL;
  const runId = process.env.TEST_RUN_ID;
  if (server && runId) await dropRunDatabases(server, runId);
}
