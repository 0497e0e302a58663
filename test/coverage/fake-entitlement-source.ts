import type { AccountEntitlement, PlanId } from '../../src/entitlements/domain';
import { EntitlementSource } from '../../src/coverage/entitlement-cache';
import { entitlementAt, type AccountKind } from './entitlement.builders';

/** An entitlement source a spec sets directly: account → (state, plan). Unknown: no subscription. */
export class FakeEntitlementSource extends EntitlementSource {
  private readonly accounts = new Map<string, { kind: AccountKind; plan: PlanId }>();
  reads = 0;

  set(accountId: string, kind: AccountKind, plan: PlanId = 'unlimited'): void {
    this.accounts.set(accountId, { kind, plan });
  }

  getAccountEntitlement(accountId: string, now: Date): Promise<AccountEntitlement> {
    this.reads++;
    const entry = this.accounts.get(accountId) ?? { kind: 'no_subscription', plan: 'unlimited' };
    return Promise.resolve(entitlementAt(entry.kind, entry.plan, now, { accountId }));
  }
}
