import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { CoverageDatabase, type SqlStatement } from './coverage-database';

/** What the pool was asked to run, and the database over it (a Postgres server, or PGlite). */
function databaseOver(server: boolean) {
  const sent: unknown[] = [];
  const pool = {
    query: (config: unknown) => {
      sent.push(config);
      return Promise.resolve({ rows: [] });
    },
  };
  const dataSource = { driver: { master: pool } } as unknown as DataSource;
  const config = {
    database: { url: server ? 'postgres://127.0.0.1/db' : undefined },
  } as unknown as AppConfig;
  return { db: new CoverageDatabase(dataSource, config), sent };
}

describe('CoverageDatabase statements', () => {
  const prepared: SqlStatement = { name: 'probe_v1', text: 'SELECT $1' };
  const replanned: SqlStatement = { name: 'probe_join_v1', text: 'SELECT $1', replan: true };

  it('prepares a statement once per connection on a Postgres server', async () => {
    const { db, sent } = databaseOver(true);
    await db.query(prepared, [1]);
    expect(sent).toEqual([{ name: 'probe_v1', text: 'SELECT $1', values: [1] }]);
  });

  it('plans a `replan` statement on every call: sent unnamed, so no plan is kept', async () => {
    const { db, sent } = databaseOver(true);
    await db.query(replanned, [1]);
    expect(sent).toEqual([{ text: 'SELECT $1', values: [1] }]);
  });

  it('sends every statement unnamed to embedded PGlite (its clients share one session)', async () => {
    const { db, sent } = databaseOver(false);
    await db.query(prepared, [1]);
    await db.query(replanned, [2]);
    expect(sent).toEqual([
      { text: 'SELECT $1', values: [1] },
      { text: 'SELECT $1', values: [2] },
    ]);
  });
});
