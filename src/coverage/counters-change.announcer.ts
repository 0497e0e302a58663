import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { COUNTERS_CHANGED_CHANNEL } from './coverage-counters';
import { CoverageCountersCache } from './coverage-counters-cache';
import { CoverageDatabase, type SqlStatement } from './coverage-database';

/** Under Postgres's 8,000-byte notification payload limit. */
const MAX_PAYLOAD_BYTES = 7_900;

/** One notification per payload (comma-separated account ids), in one autocommit statement. */
const ANNOUNCE: SqlStatement = {
  name: 'coverage_counters_announce_v1',
  text: `SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload`,
};

/**
 * Tells every instance that accounts' coverage counters changed (a covered lease taken, a job
 * finished, a completed job refunded), after the commit that changed them.
 *
 * This instance drops the account from its own cache at once. The others hear it on
 * `coverage_counters_changed`, in batches: while one announcement is on its way, the accounts
 * changed meanwhile wait for the next, so a busy instance sends a few notifications a second
 * rather than one per job. A notifying commit holds Postgres's notification lock through its WAL
 * flush, so notifying inside every admission and finish made them take turns across the whole
 * server; outside them, only these announcements do.
 *
 * The price: a process that dies between a commit and its announcement leaves the other
 * instances' counters stale until their TTL (`COVERAGE_CACHE_TTL_MS`). The counters only inform
 * the coverage check; admission counts under the account's lock in Postgres and is never wrong.
 */
@Injectable()
export class CountersChangeAnnouncer implements OnApplicationShutdown {
  private readonly logger = new Logger(CountersChangeAnnouncer.name);
  private pending = new Set<string>();
  private sending: Promise<void> | null = null;

  constructor(
    private readonly db: CoverageDatabase,
    private readonly counters: CoverageCountersCache,
  ) {}

  /** Call after the commit that changed the account's counters. */
  changed(accountId: string): void {
    this.counters.invalidate(accountId);
    this.pending.add(accountId);
    this.sending ??= this.send();
  }

  /** Resolves when every change announced so far has been sent (or given up). */
  async settled(): Promise<void> {
    while (this.sending !== null) await this.sending;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  private async send(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const accounts = [...this.pending];
        this.pending = new Set();
        try {
          await this.db.query(ANNOUNCE, [COUNTERS_CHANGED_CHANNEL, payloads(accounts)]);
        } catch (err) {
          // The database is unreachable: the other instances' listeners are then cut off as well
          // (their caches are bypassed, and flushed when they listen again), or their TTL ends it.
          this.logger.warn(
            { err, accounts: accounts.length },
            'coverage counters change not announced',
          );
        }
      }
    } finally {
      this.sending = null;
    }
  }
}

/** Account ids (never containing a comma) joined into payloads under the size limit. */
export function payloads(accounts: readonly string[]): string[] {
  const out: string[] = [];
  let current = '';
  for (const id of accounts) {
    if (current !== '' && current.length + 1 + id.length > MAX_PAYLOAD_BYTES) {
      out.push(current);
      current = '';
    }
    current = current === '' ? id : `${current},${id}`;
  }
  if (current !== '') out.push(current);
  return out;
}
