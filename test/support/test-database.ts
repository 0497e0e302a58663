import { Client } from 'pg';

/** Databases made for one test run are named so a later run can recognise (and drop) leftovers. */
const PREFIX = 'ent_test_';
const STALE_AFTER_MS = 6 * 3600 * 1000;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(serverUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh database on the server of `serverUrl`; returns its URL. */
export async function createTestDatabase(serverUrl: string, runId = 'x'): Promise<string> {
  const name = `${PREFIX}${Date.now()}_${runId}_${Math.random().toString(36).slice(2, 8)}`;
  await admin(serverUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${PREFIX}%`],
    );
    for (const { datname } of rows) {
      const created = Number(datname.slice(PREFIX.length).split('_')[0]);
      if (Number.isFinite(created) && Date.now() - created > STALE_AFTER_MS) {
        await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
    await c.query(`CREATE DATABASE "${name}"`);
  });
  return withDatabase(serverUrl, name);
}

export async function dropTestDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!name.startsWith(PREFIX)) throw new Error(`refusing to drop ${name}: not a test database`);
  await admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Drops every database this test run made (their names carry the run id). */
export async function dropRunDatabases(serverUrl: string, runId: string): Promise<void> {
  await admin(serverUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${PREFIX}%\\_${runId}\\_%`],
    );
    for (const { datname } of rows)
      await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}

/** A database of its own for one suite that needs isolation (e.g. replay, counts over all rows). */
export async function createIsolatedDatabase(): Promise<{
  url: string;
  drop: () => Promise<void>;
} | null> {
  const server = process.env.TEST_DATABASE_SERVER_URL;
  if (!server) return null;
  const url = await createTestDatabase(server, process.env.TEST_RUN_ID);
  return { url, drop: () => dropTestDatabase(server, url) };
}
