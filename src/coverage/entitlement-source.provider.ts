import { Inject, Injectable, type Provider } from '@nestjs/common';
import {
  deriveEntitlement,
  subscriptionStateFromJson,
  type AccountEntitlement,
  type EntitlementPolicy,
  type PlanLimitsTable,
} from '../entitlements/domain';
import { ENTITLEMENT_POLICY, PLAN_LIMITS } from '../entitlements/entitlement-policy.provider';
import { CoverageDatabase, type SqlStatement } from './coverage-database';
import { EntitlementSource, type EntitlementRow } from './entitlement-cache';

/**
 * The rows `EntitlementService.getAccountEntitlement` derives an account's entitlement from, as
 * columns of a statement whose `$1` is the account id: its stored subscription states (in the
 * same order) and whether it is suspended. Admission reads them in its locked statement.
 */
export const ENTITLEMENT_COLUMNS = entitlementColumns('$1');

/** `ENTITLEMENT_COLUMNS` for the account id `account` (an SQL expression). */
export function entitlementColumns(account: string): string {
  return `
  (SELECT coalesce(json_agg(es.state ORDER BY es.store, es.store_subscription_id), '[]'::json)
     FROM store_subscriptions es WHERE es.account_id = ${account}) AS "subscriptions",
  EXISTS (SELECT 1 FROM accounts ea WHERE ea.id = ${account} AND ea.suspended_at IS NOT NULL)
    AS "suspended"`;
}

/**
 * `entitlementColumns` and the digest of what they hold (`fingerprint`), as a subquery aliased
 * `e`: a read that knows the digest of the rows a cached entitlement came from can tell they have
 * not changed since (`EntitlementCache.known`).
 */
export function entitlementWithFingerprint(account: string): string {
  return `
  (SELECT s.subscriptions, s.suspended,
          md5(s.subscriptions::text || CASE WHEN s.suspended THEN ':suspended' ELSE '' END)
            AS fingerprint
     FROM (SELECT ${entitlementColumns(account)}) s) e`;
}

const ENTITLEMENT_ROWS: SqlStatement = {
  name: 'coverage_entitlement_rows_v1',
  text: `SELECT ${ENTITLEMENT_COLUMNS}`,
};

/**
 * Entitlements from the entitlement persistence's rows, derived by its pure code with its policy:
 * the same answer as `EntitlementService.getAccountEntitlement` (a spec holds them equal), read in
 * one prepared statement (the cache's misses) or within admission's locked statement.
 */
@Injectable()
export class PersistedEntitlementSource extends EntitlementSource {
  constructor(
    private readonly db: CoverageDatabase,
    @Inject(ENTITLEMENT_POLICY) private readonly policy: EntitlementPolicy,
    @Inject(PLAN_LIMITS) private readonly planLimits: PlanLimitsTable,
  ) {
    super();
  }

  async getAccountEntitlement(accountId: string, now: Date): Promise<AccountEntitlement> {
    const [row] = await this.db.query<EntitlementRow>(ENTITLEMENT_ROWS, [accountId]);
    return this.fromRow(row, accountId, now);
  }

  override readonly fromRow = (
    row: EntitlementRow,
    accountId: string,
    now: Date,
  ): AccountEntitlement =>
    deriveEntitlement(
      row.subscriptions.map(subscriptionStateFromJson),
      { id: accountId, suspended: row.suspended },
      now,
      this.policy,
      this.planLimits,
    );
}

/** The cache and admission read through the entitlement persistence. */
export const EntitlementSourceProvider: Provider = {
  provide: EntitlementSource,
  useClass: PersistedEntitlementSource,
};
