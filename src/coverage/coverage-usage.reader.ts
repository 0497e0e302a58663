import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource } from 'typeorm';
import {
  UsageReaderRegistry,
  type UsageReader,
  type UsageToday,
} from '../accounts/usage-reader.registry';
import { readCoverageCounters } from './coverage-counters';
import { nextUtcMidnight } from './domain';

/**
 * The dashboard's `usageToday` (completed covered jobs and their render-Spark this UTC day),
 * registered with the accounts module's registry when the app starts.
 */
@Injectable()
export class CoverageUsageReader implements UsageReader, OnModuleInit {
  private readonly logger = new Logger(CoverageUsageReader.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    // Looked up app-wide: the accounts module owns the registry; coverage only plugs into it.
    let registry: UsageReaderRegistry;
    try {
      registry = this.moduleRef.get(UsageReaderRegistry, { strict: false });
    } catch {
      this.logger.warn('no usage reader registry: the dashboard status shows no usage');
      return;
    }
    registry.register(this);
  }

  async usageToday(accountId: string, now: Date): Promise<UsageToday> {
    const counters = await readCoverageCounters(this.dataSource, accountId, now, false);
    return {
      completedJobs: counters.completedJobsToday,
      renderSpark: counters.usage.renderSparkToday,
      resetsAt: nextUtcMidnight(now),
    };
  }
}
