import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { countersValidUntil, type CoverageCounters } from './coverage-counters';
import { refreshAheadAfterMs, type RefreshDueListener } from './refresh-ahead';

/** Where the counters come from (the database); the cache sits in front of it. */
export abstract class CoverageCountersSource {
  /** The account's counters at `now`, trial total included. */
  abstract read(accountId: string, now: Date): Promise<CoverageCounters>;
}

interface Entry {
  counters: CoverageCounters;
  /** The `now` they were read for: not used for an earlier one. */
  readAtMs: number;
  /** Next UTC midnight or the earliest counted lease expiry: not used from then on. */
  validUntilMs: number;
  storedAtMs: number;
}

interface Read {
  promise: Promise<CoverageCounters>;
  readAtMs: number;
}

/** A read of the counters made outside the cache (see `CoverageCountersCache.track`). */
export interface TrackedRead {
  keep(counters: CoverageCounters, now: Date): void;
  end(): void;
}

/** The reads of one account in flight, and how many invalidations they have seen. */
interface AccountReads {
  generation: number;
  inFlight: number;
  /** The newest read no invalidation has overtaken: a concurrent miss may wait for it. */
  joinable: Read | null;
}

/**
 * Per-instance cache of the coverage counters (today's usage, the live leases by class) for the
 * coverage check, beside the entitlement cache and under the same rules:
 * - after every commit that changes an account's counters (a covered lease taken, a job
 *   finished, a completed job refunded) the instance that made it drops the account at once and
 *   announces it to the others (`CountersChangeAnnouncer`, batched `coverage_counters_changed`);
 * - the cache serves from memory only while the listener is connected, and starts empty whenever
 *   it connects again;
 * - an entry is used only for a `now` from its read on, and before both the next UTC midnight
 *   and the earliest expiry of the leases it counts (the counters change by time alone then), and
 *   within the TTL, a safety net; one still asked about near the end of it is read again in the
 *   background (`onRefreshDue`);
 * - a read that overlaps an invalidation of its account (or a flush) is not stored.
 * Admission (`POST /v1/jobs`) counts under the account's lock in Postgres and never reads here.
 */
@Injectable()
export class CoverageCountersCache {
  private readonly entries = new Map<string, Entry>();
  private readonly reads = new Map<string, AccountReads>();
  /** Bumped by every flush: a read that saw it change does not store. */
  private epoch = 0;
  private live = false;
  private readonly ttlMs: number;
  private readonly refreshAfterMs: number;
  private refreshDue: RefreshDueListener | null = null;
  private readonly maxEntries: number;
  private readonly lookups;

  constructor(
    private readonly source: CoverageCountersSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.ttlMs = config.coverage.cacheTtlMs;
    this.refreshAfterMs = refreshAheadAfterMs(this.ttlMs);
    this.maxEntries = config.coverage.cacheMaxEntries;
    this.lookups = metrics.tallyEach(
      metrics.counter(
        'coverage_counters_cache_lookups_total',
        'Counter lookups of the coverage check (usage and running jobs), by result',
        ['result'],
      ),
      'result',
      ['hit', 'miss', 'bypass'],
    );
  }

  /** The counters at `now`, from memory when safe. */
  async get(accountId: string, now: Date): Promise<CoverageCounters> {
    return this.peek(accountId, now) ?? this.fetch(accountId, now);
  }

  /** The counters at `now` when memory has them and may serve them (a lookup, counted); else undefined. */
  peek(accountId: string, now: Date): CoverageCounters | undefined {
    if (!this.enabled()) {
      this.lookups.bypass.inc();
      return undefined;
    }
    const entry = this.entries.get(accountId);
    if (entry !== undefined) {
      const at = now.getTime();
      const age = this.clock.nowMs() - entry.storedAtMs;
      if (entry.readAtMs <= at && at < entry.validUntilMs && age < this.ttlMs) {
        this.lookups.hit.inc();
        if (age >= this.refreshAfterMs) this.refreshDue?.(accountId);
        return entry.counters;
      }
    }
    this.lookups.miss.inc();
    return undefined;
  }

  /**
   * For a read made elsewhere (with the entitlement, in one statement): `track` before it starts;
   * `keep` its result (kept unless an invalidation of the account or a flush came in between);
   * `end` when done, whatever happened.
   */
  track(accountId: string): TrackedRead {
    const reads = this.readsOf(accountId);
    const generation = reads.generation;
    const epoch = this.epoch;
    reads.inFlight++;
    let ended = false;
    return {
      keep: (counters, now) => {
        if (!ended && reads.generation === generation && this.epoch === epoch) {
          this.store(accountId, counters, now);
        }
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.endRead(accountId, reads);
      },
    };
  }

  /** After a miss: joins a read of the account in flight, or reads (and remembers). */
  async fetch(accountId: string, now: Date): Promise<CoverageCounters> {
    if (!this.enabled()) return this.source.read(accountId, now);
    const joinable = this.reads.get(accountId)?.joinable;
    if (joinable != null && joinable.readAtMs <= now.getTime()) {
      // Concurrent misses of one account share a read no invalidation has overtaken.
      const counters = await joinable.promise;
      if (now.getTime() < countersValidUntil(counters, new Date(joinable.readAtMs))) {
        return counters;
      }
    }
    return this.read(accountId, now);
  }

  /** `listener` hears of every hit on an entry due to be read again ahead of its TTL. */
  onRefreshDue(listener: RefreshDueListener): void {
    this.refreshDue = listener;
  }

  /** One account's counters changed (a notification, or a commit of this instance). */
  invalidate(accountId: string): void {
    this.entries.delete(accountId);
    const reads = this.reads.get(accountId);
    if (reads !== undefined) {
      reads.generation++;
      reads.joinable = null;
    }
  }

  /** Anything may have changed (the listener lost its connection, or got it back). */
  flush(): void {
    this.epoch++;
    this.entries.clear();
    for (const reads of this.reads.values()) reads.joinable = null;
  }

  /** The listener's state: the cache serves from memory only while changes can be heard. */
  setLive(live: boolean): void {
    this.flush();
    this.live = live;
  }

  get size(): number {
    return this.entries.size;
  }

  private enabled(): boolean {
    return this.live && this.ttlMs > 0 && this.maxEntries > 0;
  }

  private readsOf(accountId: string): AccountReads {
    let reads = this.reads.get(accountId);
    if (reads === undefined) {
      reads = { generation: 0, inFlight: 0, joinable: null };
      this.reads.set(accountId, reads);
    }
    return reads;
  }

  private endRead(accountId: string, reads: AccountReads): void {
    if (--reads.inFlight === 0 && this.reads.get(accountId) === reads) this.reads.delete(accountId);
  }

  private async read(accountId: string, now: Date): Promise<CoverageCounters> {
    const reads = this.readsOf(accountId);
    const generation = reads.generation;
    const epoch = this.epoch;
    const read: Read = { promise: this.source.read(accountId, now), readAtMs: now.getTime() };
    reads.inFlight++;
    reads.joinable = read;
    try {
      const counters = await read.promise;
      if (reads.generation === generation && this.epoch === epoch) {
        this.store(accountId, counters, now);
      }
      return counters;
    } finally {
      if (reads.joinable === read) reads.joinable = null;
      this.endRead(accountId, reads);
    }
  }

  private store(accountId: string, counters: CoverageCounters, now: Date): void {
    if (!this.enabled()) return;
    if (!this.entries.has(accountId) && this.entries.size >= this.maxEntries) {
      // Oldest first (Map keeps insertion order): a bounded, cheap eviction.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.delete(accountId);
    this.entries.set(accountId, {
      counters,
      readAtMs: now.getTime(),
      validUntilMs: countersValidUntil(counters, now),
      storedAtMs: this.clock.nowMs(),
    });
  }
}
