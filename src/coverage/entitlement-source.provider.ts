import { Inject, Injectable, type Provider } from '@nestjs/common';
import {
  deriveEntitlement,
  subscriptionStateFromJson,
  type AccountEntitlement,
  type EntitlementPolicy,
  type PlanLimitsTable,
} from '../entitlements/domain';
import { ENTITLEMENT_POLICY, PLAN_LIMITS } from '../entitlements/entitlement-policy.provider';
import { EntitlementService } from '../entitlements/entitlement.service';
import { EntitlementSource, type EntitlementRow } from './entitlement-cache';

/**
 * The rows `EntitlementService.getAccountEntitlement` derives an account's entitlement from, as
 * columns of a statement whose `$1` is the account id: its stored subscription states (in the
 * same order) and whether it is suspended. Admission reads them in its locked statement.
 */
export const ENTITLEMENT_COLUMNS = `
  (SELECT coalesce(json_agg(es.state ORDER BY es.store, es.store_subscription_id), '[]'::json)
     FROM store_subscriptions es WHERE es.account_id = $1) AS "subscriptions",
  EXISTS (SELECT 1 FROM accounts ea WHERE ea.id = $1 AND ea.suspended_at IS NOT NULL)
    AS "suspended"`;

/**
 * Entitlements from the entitlement persistence: the cache reads through `EntitlementService`;
 * admission derives them from `ENTITLEMENT_COLUMNS` with the same pure derivation and policy.
 */
@Injectable()
export class PersistedEntitlementSource extends EntitlementSource {
  constructor(
    private readonly entitlements: EntitlementService,
    @Inject(ENTITLEMENT_POLICY) private readonly policy: EntitlementPolicy,
    @Inject(PLAN_LIMITS) private readonly planLimits: PlanLimitsTable,
  ) {
    super();
  }

  getAccountEntitlement(accountId: string, now: Date): Promise<AccountEntitlement> {
    return this.entitlements.getAccountEntitlement(accountId, now);
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
