/**
 * Fails when the entities and the migrations drift apart, or when a migration cannot be undone.
 * On a fresh database (a temporary one on DATABASE_URL's server, else embedded in memory):
 * apply every migration, ask TypeORM what it would still change (must be nothing), revert every
 * migration (each down() must work), and apply them again.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { buildDataSourceOptions, closeEmbeddedDatabases } from '../src/database/database-options';
import { createTestDatabase, dropTestDatabase } from '../test/support/test-database';

async function main(): Promise<number> {
  const serverUrl = process.env.DATABASE_URL;
  const url = serverUrl ? await createTestDatabase(serverUrl) : undefined;
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: url,
    PGLITE_DATA_DIR: 'memory://',
    LOG_LEVEL: 'silent',
  });
  const dataSource = new DataSource(buildDataSourceOptions(config));
  let failures = 0;
  try {
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(
      `applied ${applied.length} migration(s) on ${url ? 'Postgres' : 'embedded Postgres'}`,
    );

    const drift = await dataSource.driver.createSchemaBuilder().log();
    if (drift.upQueries.length > 0) {
      failures++;
      console.error('entities and migrations differ; a migration would need:');
      for (const q of drift.upQueries) console.error(`  ${q.query};`);
    }

    for (let i = 0; i < applied.length; i++)
      await dataSource.undoLastMigration({ transaction: 'each' });
    const left = await dataSource.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    if (left.length > 0) {
      failures++;
      console.error(
        `down() left tables behind: ${left.map((r: { table_name: string }) => r.table_name).join(', ')}`,
      );
    }
    const reapplied = await dataSource.runMigrations({ transaction: 'each' });
    if (reapplied.length !== applied.length) {
      failures++;
      console.error('migrations did not apply again after being reverted');
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await closeEmbeddedDatabases();
    if (serverUrl && url) await dropTestDatabase(serverUrl, url);
  }
  console.log(failures === 0 ? 'migration check passed' : 'migration check FAILED');
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('migration check could not run:', e);
    process.exit(1);
  },
);
