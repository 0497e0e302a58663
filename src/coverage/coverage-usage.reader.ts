import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  UsageReaderRegistry,
  type UsageReader,
  type UsageToday,
} from '../accounts/usage-reader.registry';
import { readCoverageCounters } from './coverage-counters';
import { CoverageDatabase } from './coverage-database';
import { nextUtcMidnight } from './domain';

/**
 * The dashboard's `usageToday` (completed covered jobs and their render-Spark this UTC day),
 * registered with the accounts module's registry when the app starts.
 */
@Injectable()
export class CoverageUsageReader implements UsageReader, OnModuleInit {
  constructor(
    private readonly db: CoverageDatabase,
    private readonly registry: UsageReaderRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async usageToday(accountId: string, now: Date): Promise<UsageToday> {
    const counters = await readCoverageCounters(this.db, accountId, now, false);
    return {
      completedJobs: counters.completedJobsToday,
      renderSpark: counters.usage.renderSparkToday,
      resetsAt: nextUtcMidnight(now),
    };
  }
}
