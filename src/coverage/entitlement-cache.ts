import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { AccountEntitlement } from '../entitlements/domain';
import { MetricsService } from '../metrics/metrics.service';
import { refreshAheadAfterMs, type RefreshDueListener } from './refresh-ahead';

/** An account's entitlement rows as admission reads them under its lock (see `ENTITLEMENT_COLUMNS`). */
export interface EntitlementRow {
  /** The stored subscription states of the account (JSON), in a stable order. */
  subscriptions: unknown[];
  suspended: boolean;
}

/** Where entitlements come from (the entitlement persistence); the cache sits in front of it. */
export abstract class EntitlementSource {
  abstract getAccountEntitlement(accountId: string, now: Date): Promise<AccountEntitlement>;

  /**
   * Set by the database source: the entitlement derived from the rows admission reads in its
   * locked statement, which spares it separate reads. Other sources leave it null and admission
   * asks `getAccountEntitlement` first.
   */
  readonly fromRow:
    ((row: EntitlementRow, accountId: string, now: Date) => AccountEntitlement) | null = null;
}

interface Entry {
  value: AccountEntitlement;
  storedAtMs: number;
  /** When the value holds (`holdsAt`), as numbers read once: a lookup touches no Date. */
  fromMs: number;
  untilMs: number;
  /** The digest of the rows the value was derived from, when the read gave one. */
  fingerprint: string | null;
}

/** A cached entitlement with the digest of its rows, for a read that revalidates it. */
export interface KnownEntitlement {
  value: AccountEntitlement;
  fingerprint: string;
}

/**
 * Per-instance cache of account entitlements for the coverage check (`POST /v1/coverage`).
 *
 * Safe because:
 * - every change of an account is announced on `entitlement_changed` (Postgres NOTIFY) and the
 *   listener drops the account here; while the listener is not connected the cache is bypassed,
 *   and it is flushed whole when the listener (re)connects, so no change heard of goes unseen;
 * - an entry is used only before its `nextChangeAt` (the entitlement can change by time alone
 *   then: a period ends, a downgrade applies) and within a short TTL (a safety net); one still
 *   asked about near the end of it is read again in the background (`onRefreshDue`);
 * - a load that overlaps an invalidation is not stored (it may have read the old state).
 * Admission (`POST /v1/jobs`) reads the entitlement fresh; only the check is served from here.
 */
@Injectable()
export class EntitlementCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<
    string,
    { promise: Promise<AccountEntitlement>; seen: number }
  >();
  /** Bumped by every invalidation and flush: a load that saw it change does not store. */
  private invalidations = 0;
  private live = false;
  private readonly ttlMs: number;
  private readonly refreshAfterMs: number;
  private refreshDue: RefreshDueListener | null = null;
  private readonly maxEntries: number;
  private readonly lookups;

  constructor(
    private readonly source: EntitlementSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.ttlMs = config.coverage.cacheTtlMs;
    this.refreshAfterMs = refreshAheadAfterMs(this.ttlMs);
    this.maxEntries = config.coverage.cacheMaxEntries;
    this.lookups = metrics.tallyEach(
      metrics.counter(
        'coverage_entitlement_cache_lookups_total',
        'Entitlement lookups of the coverage check, by result',
        ['result'],
      ),
      'result',
      ['hit', 'miss', 'bypass'],
    );
  }

  /** The entitlement at `now`, from memory when safe. */
  async get(accountId: string, now: Date): Promise<AccountEntitlement> {
    return this.peek(accountId, now) ?? this.fetch(accountId, now);
  }

  /** The entitlement at `now` when memory has it and may serve it (a lookup, counted); else undefined. */
  peek(accountId: string, now: Date): AccountEntitlement | undefined {
    if (this.live && this.ttlMs > 0 && this.maxEntries > 0) {
      const entry = this.entries.get(accountId);
      if (entry !== undefined) {
        const age = this.clock.nowMs() - entry.storedAtMs;
        const at = now.getTime();
        if (age < this.ttlMs && entry.fromMs <= at && at < entry.untilMs) {
          this.lookups.hit.inc();
          if (age >= this.refreshAfterMs) this.refreshDue?.(accountId);
          return entry.value;
        }
      }
      this.lookups.miss.inc();
    } else {
      this.lookups.bypass.inc();
    }
    return undefined;
  }

  /**
   * For a read made elsewhere (with the counters, in one statement): call before it starts, then
   * hand its result to `remember`, which keeps it unless an invalidation came in between.
   */
  track(): number {
    return this.invalidations;
  }

  /** `fingerprint`: the digest of the rows `value` was derived from (see `known`). */
  remember(
    accountId: string,
    value: AccountEntitlement,
    tracked: number,
    fingerprint: string | null = null,
  ): void {
    this.store(accountId, value, tracked, fingerprint);
  }

  /**
   * The entry of an account with the digest of the rows it was derived from, if it has one: a
   * read that finds the same digest may keep the same value (where it still holds) instead of
   * deriving it again.
   */
  known(accountId: string): KnownEntitlement | undefined {
    const entry = this.entries.get(accountId);
    if (entry === undefined || entry.fingerprint === null) return undefined;
    return { value: entry.value, fingerprint: entry.fingerprint };
  }

  /** Reads the entitlement from the source and remembers it (admission uses this: always fresh). */
  async fresh(accountId: string, now: Date): Promise<AccountEntitlement> {
    const seen = this.invalidations;
    const value = await this.source.getAccountEntitlement(accountId, now);
    this.store(accountId, value, seen);
    return value;
  }

  /** `listener` hears of every hit on an entry due to be read again ahead of its TTL. */
  onRefreshDue(listener: RefreshDueListener): void {
    this.refreshDue = listener;
  }

  /** One account changed (a notification). */
  invalidate(accountId: string): void {
    this.invalidations++;
    this.entries.delete(accountId);
  }

  /** Anything may have changed (the listener lost its connection, or got it back). */
  flush(): void {
    this.invalidations++;
    this.entries.clear();
  }

  /** The listener's state: the cache serves from memory only while changes can be heard. */
  setLive(live: boolean): void {
    this.flush();
    this.live = live;
  }

  isLive(): boolean {
    return this.live;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * After a miss: reads and remembers. Concurrent misses of one account share one read (when its
   * answer holds at their `now`).
   */
  async fetch(accountId: string, now: Date): Promise<AccountEntitlement> {
    const pending = this.loading.get(accountId);
    // A read started before an invalidation may return the old state: do not join it.
    if (pending !== undefined && pending.seen === this.invalidations) {
      const value = await pending.promise;
      if (holdsAt(value, now)) return value;
      return this.fresh(accountId, now);
    }
    const entry = { promise: this.fresh(accountId, now), seen: this.invalidations };
    this.loading.set(accountId, entry);
    try {
      return await entry.promise;
    } finally {
      if (this.loading.get(accountId) === entry) this.loading.delete(accountId);
    }
  }

  private store(
    accountId: string,
    value: AccountEntitlement,
    seen: number,
    fingerprint: string | null = null,
  ): void {
    if (!this.live || this.ttlMs <= 0 || this.maxEntries <= 0) return;
    if (seen !== this.invalidations) return;
    if (!this.entries.has(accountId) && this.entries.size >= this.maxEntries) {
      // Oldest first (Map keeps insertion order): a bounded, cheap eviction.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.delete(accountId);
    this.entries.set(accountId, {
      value,
      storedAtMs: this.clock.nowMs(),
      fromMs: value.evaluatedAt.getTime(),
      untilMs: value.nextChangeAt?.getTime() ?? Infinity,
      fingerprint,
    });
  }
}

/** An entitlement derived at `evaluatedAt` is the answer at `now` until time alone changes it. */
export function holdsAt(value: AccountEntitlement, now: Date): boolean {
  const at = now.getTime();
  if (at < value.evaluatedAt.getTime()) return false;
  return value.nextChangeAt === null || at < value.nextChangeAt.getTime();
}
