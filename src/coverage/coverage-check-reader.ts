import { Injectable } from '@nestjs/common';
import type { AccountEntitlement } from '../entitlements/domain';
import {
  counterColumns,
  countersFromRow,
  liveLeases,
  type CountersRow,
  type CoverageCounters,
} from './coverage-counters';
import { CoverageCountersCache } from './coverage-counters-cache';
import { CoverageDatabase, type SqlStatement } from './coverage-database';
import { utcDay } from './domain';
import {
  EntitlementCache,
  EntitlementSource,
  holdsAt,
  type EntitlementRow,
  type KnownEntitlement,
} from './entitlement-cache';
import { entitlementWithFingerprint } from './entitlement-source.provider';

/**
 * What the coverage check reads of accounts at one time (`$1` the accounts, `$2` the UTC day, `$3`
 * now), one row per account in their order: the entitlement rows with their digest, and the
 * counters. `$4` the digests of the rows their cached entitlements came from (null where unknown):
 * where the digest is the same, the rows are not sent (`subscriptions` null).
 */
const CHECK_READ: SqlStatement = {
  name: 'coverage_check_read_v3',
  text: `SELECT e.fingerprint AS "fingerprint",
    CASE WHEN e.fingerprint = q.known THEN NULL ELSE e.subscriptions END AS "subscriptions",
    e.suspended AS "suspended",
    ${counterColumns({ account: 'q.account_id', day: '$2::date', at: '$3::timestamptz', withTrialTotal: 'true' })}
    FROM unnest($1::text[], $4::text[]) WITH ORDINALITY AS q(account_id, known, n)
    CROSS JOIN LATERAL ${entitlementWithFingerprint('q.account_id')}
    CROSS JOIN LATERAL ${liveLeases('q.account_id', '$3::timestamptz')}
    ORDER BY q.n`,
};

/** A check read's row: `subscriptions` null when the digest was the known one. */
type CheckRow = Omit<EntitlementRow, 'subscriptions'> &
  CountersRow & { subscriptions: unknown[] | null; fingerprint: string };

export interface CheckRead {
  entitlement: AccountEntitlement;
  counters: CoverageCounters;
}

/**
 * Reads what the coverage check needs of an account (its entitlement rows and its counters) in
 * one statement and offers it to both caches, which keep it unless a change of the account was
 * heard while it was read. Only for a source that derives entitlements from rows
 * (`EntitlementSource.fromRow`); `readsRows` says whether this one does.
 */
@Injectable()
export class CoverageCheckReader {
  constructor(
    private readonly entitlements: EntitlementCache,
    private readonly counters: CoverageCountersCache,
    private readonly source: EntitlementSource,
    private readonly db: CoverageDatabase,
  ) {}

  get readsRows(): boolean {
    return this.source.fromRow !== null;
  }

  /** One account at `now` (both caches missed it): its rows are always read and derived. */
  async readOne(accountId: string, now: Date): Promise<CheckRead> {
    const [read] = await this.read([accountId], now, [undefined], this.entitlements.track());
    if (read === null) throw new Error('a check read without rows');
    return read;
  }

  /**
   * Many accounts at `now` in one statement (reading them again ahead of their expiry). An
   * account whose rows have the digest of its cached entitlement's keeps that entitlement (where
   * it still holds at `now`) rather than deriving it again.
   */
  async readMany(accountIds: readonly string[], now: Date): Promise<void> {
    const tracked = this.entitlements.track();
    const known = accountIds.map((id) => this.entitlements.known(id));
    await this.read(accountIds, now, known, tracked);
  }

  /**
   * Reads the accounts and offers each to both caches (`trackedEntitlements`: the entitlement
   * cache's `track()` from before `known` was taken). An account's answer is null where its rows
   * are unchanged but time has changed its cached entitlement: that entry expires and the next
   * check reads the rows.
   */
  private async read(
    accountIds: readonly string[],
    now: Date,
    known: readonly (KnownEntitlement | undefined)[],
    trackedEntitlements: number,
  ): Promise<(CheckRead | null)[]> {
    const fromRow = this.fromRow();
    const trackedCounters = accountIds.map((id) => this.counters.track(id));
    try {
      const rows = await this.db.query<CheckRow>(CHECK_READ, [
        accountIds,
        utcDay(now),
        now,
        known.map((k) => k?.fingerprint ?? null),
      ]);
      if (rows.length !== accountIds.length) {
        throw new Error(`a check read returned ${rows.length} rows for ${accountIds.length}`);
      }
      return rows.map((row, i) => {
        const accountId = accountIds[i];
        const counters = countersFromRow(row);
        trackedCounters[i].keep(counters, now);
        const same = known[i];
        const entitlement =
          row.subscriptions !== null
            ? fromRow({ ...row, subscriptions: row.subscriptions }, accountId, now)
            : same !== undefined && holdsAt(same.value, now)
              ? same.value
              : null;
        if (entitlement === null) return null;
        this.entitlements.remember(accountId, entitlement, trackedEntitlements, row.fingerprint);
        return { entitlement, counters };
      });
    } finally {
      for (const tracked of trackedCounters) tracked.end();
    }
  }

  private fromRow(): NonNullable<EntitlementSource['fromRow']> {
    const fromRow = this.source.fromRow;
    if (fromRow === null) throw new Error('the entitlement source does not derive from rows');
    return fromRow;
  }
}
