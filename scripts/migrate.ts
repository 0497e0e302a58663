/**
 * Applies pending migrations and exits: the deploy-time command (`npm run migrate`, or
 * `node dist/scripts/migrate.js` in the image). The service also applies them at start, under the
 * same advisory lock, so running both is safe.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../src/config/app-config';
import { buildDataSourceOptions, closeEmbeddedDatabases } from '../src/database/database-options';
import { runPendingMigrations } from '../src/database/migrate';

async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = new DataSource(buildDataSourceOptions(config));
  await dataSource.initialize();
  try {
    const applied = await runPendingMigrations(dataSource, {
      shared: config.database.url !== undefined,
    });
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
  } finally {
    await dataSource.destroy();
    await closeEmbeddedDatabases();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
});
