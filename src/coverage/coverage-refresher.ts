import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { CoverageCheckReader } from './coverage-check-reader';
import { CoverageCountersCache } from './coverage-counters-cache';
import { EntitlementCache } from './entitlement-cache';

/** How long accounts due are gathered before they are read together. */
export const REFRESH_WINDOW_MS = 100;
/** Accounts per statement, at most. */
export const REFRESH_BATCH = 500;
/** Accounts waiting, at most: past it, an account due is left to expire and be read on a miss. */
export const REFRESH_MAX_WAITING = 10_000;

/**
 * Refresh-ahead for the coverage caches. An account whose cached entries are still asked about
 * near the end of their TTL (`REFRESH_AHEAD_SHARE`) is read again in the background, with the
 * other accounts that came due within `REFRESH_WINDOW_MS`, in one statement
 * (`CoverageCheckReader.readMany`). So an account the gateway keeps asking about does not miss
 * when its entries expire (its checks never wait for Postgres), and Postgres gets a few set reads
 * a second instead of a round trip per expiring account.
 *
 * A refreshed entry is kept under the caches' own rules: not when a change of the account was
 * heard while it was read, not while the change listener is disconnected. A failed read changes
 * nothing: the entries expire and the next check reads them itself (and answers 503 if Postgres
 * is down). Only with a source that derives entitlements from rows (every real one).
 */
@Injectable()
export class CoverageRefresher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CoverageRefresher.name);
  private readonly waiting = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private stopped = false;
  private readonly outcomes;

  constructor(
    private readonly entitlements: EntitlementCache,
    private readonly counters: CoverageCountersCache,
    private readonly reader: CoverageCheckReader,
    private readonly clock: Clock,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.tallyEach(
      metrics.counter(
        'coverage_cache_refreshes_total',
        'Accounts read again ahead of their cache expiry, by outcome',
        ['outcome'],
      ),
      'outcome',
      ['read', 'failed', 'dropped'],
    );
  }

  onModuleInit(): void {
    if (!this.reader.readsRows) return;
    const due = (accountId: string): void => this.due(accountId);
    this.entitlements.onRefreshDue(due);
    this.counters.onRefreshDue(due);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.reading !== null) await this.reading;
  }

  private due(accountId: string): void {
    if (this.stopped || this.waiting.has(accountId)) return;
    if (this.waiting.size >= REFRESH_MAX_WAITING) {
      this.outcomes.dropped.inc();
      return;
    }
    this.waiting.add(accountId);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.reading !== null || this.waiting.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, REFRESH_WINDOW_MS);
    this.timer.unref();
  }

  private start(): void {
    if (this.reading !== null || this.waiting.size === 0) return;
    const batch: string[] = [];
    for (const accountId of this.waiting) {
      batch.push(accountId);
      if (batch.length === REFRESH_BATCH) break;
    }
    for (const accountId of batch) this.waiting.delete(accountId);
    this.reading = this.read(batch).finally(() => {
      this.reading = null;
      this.schedule();
    });
  }

  private async read(accountIds: string[]): Promise<void> {
    try {
      await this.reader.readMany(accountIds, this.clock.now());
      this.outcomes.read.inc(accountIds.length);
    } catch (err) {
      this.outcomes.failed.inc(accountIds.length);
      this.logger.warn({ err, accounts: accountIds.length }, 'coverage cache refresh failed');
    }
  }
}
