import { Injectable, type Provider } from '@nestjs/common';
import { readCoverageCounters, type CoverageCounters } from './coverage-counters';
import { CoverageCountersSource } from './coverage-counters-cache';
import { CoverageDatabase } from './coverage-database';

/** The counters straight from Postgres, trial total included (one round trip). */
@Injectable()
export class DatabaseCountersSource extends CoverageCountersSource {
  constructor(private readonly db: CoverageDatabase) {
    super();
  }

  read(accountId: string, now: Date): Promise<CoverageCounters> {
    return readCoverageCounters(this.db, accountId, now, true);
  }
}

/** The counters cache reads through the database. */
export const CoverageCountersSourceProvider: Provider = {
  provide: CoverageCountersSource,
  useClass: DatabaseCountersSource,
};
