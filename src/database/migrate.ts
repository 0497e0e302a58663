import type { DataSource } from 'typeorm';

/** Arbitrary constant: the advisory lock that lets one instance migrate while the others wait. */
const MIGRATION_LOCK_KEY = 7_305_112_001;

/**
 * Applies pending migrations. Several instances may start together against one server: a
 * session-level advisory lock, held on a connection of its own, makes them take turns. Embedded
 * Postgres has one connection and one process, so it needs (and can hold) no such lock.
 */
export async function runPendingMigrations(
  dataSource: DataSource,
  opts: { shared: boolean },
): Promise<string[]> {
  if (!opts.shared) {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lockRunner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await lockRunner.release();
  }
}
