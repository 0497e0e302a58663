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
import { EntitlementCache, EntitlementSource, type EntitlementRow } from './entitlement-cache';
import { ENTITLEMENT_COLUMNS, entitlementColumns } from './entitlement-source.provider';

/** Both caches missed: one account's entitlement rows and counters in one round trip. */
const CHECK_READ: SqlStatement = {
  name: 'coverage_check_read_v1',
  text: `SELECT ${ENTITLEMENT_COLUMNS}, ${COUNTER_COLUMNS} FROM ${LIVE_LEASES}`,
};

/**
 * The same columns for many accounts at one time (`$1` the accounts, `$2` the UTC day, `$3` now),
 * one row per account in their order.
 */
const CHECK_READ_MANY: SqlStatement = {
  name: 'coverage_check_read_many_v1',
  text: `SELECT ${entitlementColumns('q.account_id')},
    ${counterColumns({ account: 'q.account_id', day: '$2::date', at: '$3::timestamptz', withTrialTotal: 'true' })}
    FROM unnest($1::text[]) WITH ORDINALITY AS q(account_id, n)
    CROSS JOIN LATERAL ${liveLeases('q.account_id', '$3::timestamptz')}
    ORDER BY q.n`,
};

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
    const [read] = await this.read([accountId], now, () =>
      this.db.query<EntitlementRow & CountersRow>(CHECK_READ, counterParams(accountId, now, true)),
    );
    return read;
  }

  /** Many accounts at `now` in one statement (reading them again ahead of their expiry). */
  async readMany(accountIds: readonly string[], now: Date): Promise<void> {
    await this.read(accountIds, now, () =>
      this.db.query<EntitlementRow & CountersRow>(CHECK_READ_MANY, [
        accountIds,
        utcDay(now),
        now,
      ]),
    );
  }

  private async read(
    accountIds: readonly string[],
    now: Date,
    query: () => Promise<(EntitlementRow & CountersRow)[]>,
  ): Promise<CheckRead[]> {
    const fromRow = this.source.fromRow;
    if (fromRow === null) throw new Error('the entitlement source does not derive from rows');
    const trackedEntitlements = this.entitlements.track();
    const trackedCounters = accountIds.map((id) => this.counters.track(id));
    try {
      const rows = await query();
      if (rows.length !== accountIds.length) {
        throw new Error(`a check read returned ${rows.length} rows for ${accountIds.length}`);
      }
      return rows.map((row, i) => {
        const entitlement = fromRow(row, accountIds[i], now);
        const counters = countersFromRow(row);
        this.entitlements.remember(accountIds[i], entitlement, trackedEntitlements);
        trackedCounters[i].keep(counters, now);
        return { entitlement, counters };
      });
    } finally {
      for (const tracked of trackedCounters) tracked.end();
    }
  }
}
