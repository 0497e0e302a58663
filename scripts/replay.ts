/**
 * Rebuilds every store subscription from its applied snapshots and reports where the stored
 * state differs (`npm run replay`; exit 1 when something differs). `--fix` writes the rebuilt
 * states back. Reads the same configuration as the service (DATABASE_URL...).
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SystemClock } from '../src/common/clock';
import { ConfigError, loadConfig } from '../src/config/app-config';
import { buildDataSourceOptions, closeEmbeddedDatabases } from '../src/database/database-options';
import { formatReplayReport, replayExitCode } from '../src/entitlements/replay-report';
import { ReplayService } from '../src/entitlements/replay.service';

const USAGE = 'usage: npm run replay [-- --fix]';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--fix');
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  const fix = args.includes('--fix');
  const config = loadConfig();
  // The report below says everything; the service's own per-difference logs would repeat it.
  Logger.overrideLogger(['error']);
  const dataSource = new DataSource(buildDataSourceOptions(config));
  await dataSource.initialize();
  try {
    if (await dataSource.showMigrations()) {
      console.error('the database has pending migrations: run `npm run migrate` first');
      return 2;
    }
    const report = await new ReplayService(dataSource, new SystemClock(), config).run({ fix });
    console.log(formatReplayReport(report, fix));
    return replayExitCode(report, fix);
  } finally {
    await dataSource.destroy();
    await closeEmbeddedDatabases();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof ConfigError ? e.message : e);
    process.exit(2);
  },
);
