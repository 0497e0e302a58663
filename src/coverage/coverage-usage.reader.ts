import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { readCoverageCounters } from './coverage-counters';
import { nextUtcMidnight } from './domain';

/** The dashboard's `usageToday`: completed covered usage of the UTC day and what runs now. */
export interface UsageToday {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  renderSpark: number;
  completedJobs: number;
  /** Covered jobs holding a live lease, by class. */
  runningJobs: Record<string, number>;
  resetsAt: string;
}

@Injectable()
export class CoverageUsageReader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async usageToday(accountId: string, now: Date = this.clock.now()): Promise<UsageToday> {
    const counters = await readCoverageCounters(this.dataSource, accountId, now, false);
    return {
      day: now.toISOString().slice(0, 10),
      renderSpark: counters.usage.renderSparkToday,
      completedJobs: counters.completedJobsToday,
      runningJobs: { ...counters.running.byClass },
      resetsAt: nextUtcMidnight(now).toISOString(),
    };
  }
}
