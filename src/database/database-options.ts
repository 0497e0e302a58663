import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { AppConfig } from '../config/app-config';
import { ENTITIES } from './entities';

/**
 * One definition of the data source for the app, the CLI and the tests.
 * `DATABASE_URL` set: that Postgres through `pg` with a pool. Unset: embedded Postgres (PGlite)
 * behind its own node-postgres adapter, so the same `pg` driver and SQL run on both.
 */
export function buildDataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    migrationsRun: false,
    logging: false,
  };
  if (config.database.url) {
    return {
      ...common,
      url: config.database.url,
      poolSize: config.database.poolSize,
      applicationName: 'entitlement-service',
      connectTimeoutMS: 5000,
      extra: {
        // Fail fast when the database is unreachable instead of queueing forever.
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 30000,
        // Keep a runaway query from holding a pool slot.
        statement_timeout: 15000,
        keepAlive: true,
      },
    };
  }
  // PGlite is single-connection: the pool is one client, so transactions serialize safely.
  // The instance is ours (the adapter never closes it): `closeEmbeddedDatabases` does.
  const pglite = new PGlite(config.database.pgliteDataDir);
  embedded.add(pglite);
  const pgConfig = createPgConfig(pglite);
  return {
    ...common,
    extra: { ...pgConfig, connection: pgConfig.connection, max: 1 },
  };
}

const embedded = new Set<PGlite>();

/** Closes every embedded database this process opened (after the data sources are destroyed). */
export async function closeEmbeddedDatabases(): Promise<void> {
  const open = [...embedded];
  embedded.clear();
  await Promise.all(open.map((db) => (db.closed ? undefined : db.close())));
}
