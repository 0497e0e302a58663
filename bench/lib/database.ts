import { Client } from 'pg';

/** The bench's own database, on DATABASE_URL's server when set, else the local Postgres. */
const PREFIX = 'ent_bench_';

export function benchServerUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function onServer<T>(serverUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(
  serverUrl: string,
): Promise<{ url: string; version: string }> {
  const name = `${PREFIX}${Date.now()}`;
  const version = await onServer(serverUrl, async (c) => {
    await c.query(`CREATE DATABASE "${name}"`);
    const { rows } = await c.query<{ v: string }>(
      'SELECT current_setting($$server_version$$) AS v',
    );
    return `PostgreSQL ${rows[0].v.split(' ')[0]}`;
  });
  return { url: withDatabase(serverUrl, name), version };
}

export async function dropBenchDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!name.startsWith(PREFIX)) throw new Error(`refusing to drop ${name}`);
  await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
