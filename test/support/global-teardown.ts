import { dropTestDatabase } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const server = process.env.TEST_DATABASE_SERVER_URL;
  const url = process.env.DATABASE_URL;
  if (server && url && url !== server) await dropTestDatabase(server, url);
}
