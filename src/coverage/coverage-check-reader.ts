import { Injectable } from '@nestjs/common';
import type { AccountEntitlement } from '../entitlements/domain';
import {
  COUNTER_COLUMNS,
  counterColumns,
  counterParams,
  countersFromRow,
  LIVE_LEASES,
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
} from './entitlement-cache';
import { entitlementWithFingerprint } from './entitlement-source.provider';

/** Both caches missed: one account's entitlement rows (and their digest) and counters. */
const CHECK_READ: SqlStatement = {
  name: 'coverage_check_read_v2',
  text: `SELECT e.subscriptions AS "subscriptions", e.suspended AS "suspended",
    e.fingerprint AS "fingerprint", ${COUNTER_COLUMNS}
    FROM ${entitlementWithFingerprint('$1')} CROSS JOIN ${LIVE_LEASES}`,
};

/**
 * The same for many accounts at one time (`$1` the accounts, `$2` the UTC day, `$3` now), one row
 * per account in their order; `$4` the digests of the rows their cached entitlements came from
 * (null where unknown): where the digest is the same, the rows are not sent (`subscriptions` null).
 */
const CHECK_READ_MANY: SqlStatement = {
  name: 'coverage_check_read_many_v2',
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

  /** One account at `now` (both caches missed it). */
  async readOne(accountId: string, now: Date): Promise<CheckRead> {
    const fromRow = this.fromRow();
    const trackedEntitlement = this.entitlements.track();
    const trackedCounters = this.counters.track(accountId);
    try {
      const [row] = await this.db.query<CheckRow>(CHECK_READ, counterParams(accountId, now, true));
      if (row.subscriptions === null) throw new Error('a check read without rows');
      const entitlement = fromRow({ ...row, subscriptions: row.subscriptions }, accountId, now);
      const counters = countersFromRow(row);
      this.entitlements.remember(accountId, entitlement, trackedEntitlement, row.fingerprint);
      trackedCounters.keep(counters, now);
      return { entitlement, counters };
    } finally {
      trackedCounters.end();
    }
  }

  /**
   * Many accounts at `now` in one statement (reading them again ahead of their expiry). An
   * account whose rows have the digest of its cached entitlement's keeps that entitlement (where
   * it still holds at `now`) rather than deriving it again.
   */
  async readMany(accountIds: readonly string[], now: Date): Promise<void> {
    const fromRow = this.fromRow();
    const trackedEntitlements = this.entitlements.track();
    const known = accountIds.map((id) => this.entitlements.known(id));
    const trackedCounters = accountIds.map((id) => this.counters.track(id));
    try {
      const rows = await this.db.query<CheckRow>(CHECK_READ_MANY, [
        accountIds,
        utcDay(now),
        now,
        known.map((k) => k?.fingerprint ?? null),
      ]);
      if (rows.length !== accountIds.length) {
        throw new Error(`a check read returned ${rows.length} rows for ${accountIds.length}`);
      }
      rows.forEach((row, i) => {
        const accountId = accountIds[i];
        trackedCounters[i].keep(countersFromRow(row), now);
        const same = known[i];
        if (row.subscriptions !== null) {
          const entitlement = fromRow({ ...row, subscriptions: row.subscriptions }, accountId, now);
          this.entitlements.remember(accountId, entitlement, trackedEntitlements, row.fingerprint);
        } else if (same !== undefined && holdsAt(same.value, now)) {
          this.entitlements.remember(accountId, same.value, trackedEntitlements, row.fingerprint);
        }
        // Else the rows are unchanged but time has changed the answer: the entry expires and
        // the next check reads the rows.
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
