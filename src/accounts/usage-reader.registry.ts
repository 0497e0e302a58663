import { Injectable } from '@nestjs/common';

/** An account's use of its plan today (UTC day), as the dashboard shows it. */
export interface UsageToday {
  /** Covered jobs completed today. */
  completedJobs: number;
  /** Render-Spark of today's completed covered jobs (what fair use counts). */
  renderSpark: number;
  /** When the counters reset (next 00:00 UTC). */
  resetsAt: Date;
}

/** Implemented by the module that counts jobs (coverage); registered at its `onModuleInit`. */
export interface UsageReader {
  usageToday(accountId: string, now: Date): Promise<UsageToday>;
}

export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/**
 * Where the dashboard status reads today's usage. The job counters live in another module, which
 * registers its reader here; until one is registered the usage reads as zero jobs.
 */
@Injectable()
export class UsageReaderRegistry {
  private reader: UsageReader | null = null;

  register(reader: UsageReader): void {
    this.reader = reader;
  }

  get registered(): boolean {
    return this.reader !== null;
  }

  usageToday(accountId: string, now: Date): Promise<UsageToday> {
    if (this.reader !== null) return this.reader.usageToday(accountId, now);
    return Promise.resolve({ completedJobs: 0, renderSpark: 0, resetsAt: nextUtcMidnight(now) });
  }
}
