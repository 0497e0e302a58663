import type {
  AccountEntitlement,
  AccountEntitlementState,
  BillingInterval,
  NotCoveredReason,
  PlanId,
  PrimaryState,
  Store,
  SubscriptionEntitlement,
  SubscriptionExclusion,
} from '../entitlements/domain';
import type { UsageToday } from './usage-reader.registry';

/** Where the subscriber manages a subscription (SPEC §8 `manage`). */
export interface ManageLink {
  kind: 'stripe_portal' | 'app_store' | 'google_play';
  url: string;
  /** The dashboard can only link out: the store owns the subscription. */
  readOnly: boolean;
}

export interface PendingChangeView {
  plan: PlanId;
  interval: BillingInterval;
  effectiveAt: string;
}

export interface SubscriptionView {
  store: Store;
  storeSubscriptionId: string;
  state: PrimaryState;
  covered: boolean;
  excluded: SubscriptionExclusion | null;
  primary: boolean;
  plan: PlanId | null;
  interval: BillingInterval | null;
  productId: string;
  trialEndsAt: string | null;
  currentPeriodEnd: string | null;
  paidThrough: string | null;
  cancelAtPeriodEnd: boolean;
  pendingChange: PendingChangeView | null;
  sandbox: boolean;
  manage: ManageLink;
}

/** The dashboard's read-only status: the entitlement body of SPEC §8. */
export interface EntitlementView {
  accountId: string;
  covered: boolean;
  /** Why not covered (the SPEC §6 words), null when covered. */
  reason: NotCoveredReason | null;
  plan: PlanId | null;
  interval: BillingInterval | null;
  state: AccountEntitlementState;
  provider: Store | null;
  trialEndsAt: string | null;
  currentPeriodEnd: string | null;
  paidThrough: string | null;
  cancelAtPeriodEnd: boolean;
  pendingChange: PendingChangeView | null;
  manage: ManageLink | null;
  limits: { image: number; video: number };
  usageToday: { completedJobs: number; renderSpark: number; resetsAt: string };
  subscriptions: SubscriptionView[];
  duplicateBilling: boolean;
}

export interface ManageContext {
  /** GOOGLE_PACKAGE_NAME, for the Play subscription deep link. */
  googlePackageName: string | undefined;
}

export const APP_STORE_SUBSCRIPTIONS_URL = 'https://apps.apple.com/account/subscriptions';
export const GOOGLE_PLAY_SUBSCRIPTIONS_URL = 'https://play.google.com/store/account/subscriptions';

/** The manage link of a subscription of `store` (Google: deep link to the product). */
export function manageLink(
  store: Store,
  productId: string,
  accountId: string,
  context: ManageContext,
): ManageLink {
  switch (store) {
    case 'stripe':
      return {
        kind: 'stripe_portal',
        // The portal link is made on request (it expires): the dashboard POSTs to this route.
        url: `/v1/accounts/${encodeURIComponent(accountId)}/portal-session`,
        readOnly: false,
      };
    case 'apple':
      return { kind: 'app_store', url: APP_STORE_SUBSCRIPTIONS_URL, readOnly: true };
    case 'google': {
      // Google snapshots carry `productId/basePlanId`; the deep link wants the product (sku).
      const sku = productId.split('/')[0];
      const query = new URLSearchParams();
      if (sku !== '') query.set('sku', sku);
      if (context.googlePackageName !== undefined) query.set('package', context.googlePackageName);
      const search = query.toString();
      return {
        kind: 'google_play',
        url:
          search === ''
            ? GOOGLE_PLAY_SUBSCRIPTIONS_URL
            : `${GOOGLE_PLAY_SUBSCRIPTIONS_URL}?${search}`,
        readOnly: true,
      };
    }
    default: {
      const unknown: never = store;
      throw new Error(`unmapped store ${String(unknown)}`);
    }
  }
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function pending(change: SubscriptionEntitlement['pendingChange']): PendingChangeView | null {
  return change === null
    ? null
    : {
        plan: change.plan,
        interval: change.interval,
        effectiveAt: change.effectiveAt.toISOString(),
      };
}

/** The derived entitlement as the dashboard reads it (ISO dates, manage links, usage). */
export function entitlementView(
  entitlement: AccountEntitlement,
  usage: UsageToday,
  context: ManageContext,
): EntitlementView {
  const subscriptions = entitlement.subscriptions.map((s): SubscriptionView => ({
    store: s.store,
    storeSubscriptionId: s.storeSubscriptionId,
    state: s.state,
    covered: s.covered,
    excluded: s.excluded,
    primary: s.primary,
    plan: s.plan,
    interval: s.interval,
    productId: s.productId,
    trialEndsAt: iso(s.trialEndsAt),
    currentPeriodEnd: iso(s.currentPeriodEnd),
    paidThrough: iso(s.paidThrough),
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    pendingChange: pending(s.pendingChange),
    sandbox: s.sandbox,
    manage: manageLink(s.store, s.productId, entitlement.accountId, context),
  }));
  const primary = subscriptions.find((s) => s.primary);
  return {
    accountId: entitlement.accountId,
    covered: entitlement.covered,
    reason: entitlement.reason,
    plan: entitlement.plan,
    interval: entitlement.interval,
    state: entitlement.state,
    provider: entitlement.provider,
    trialEndsAt: iso(entitlement.trialEndsAt),
    currentPeriodEnd: iso(entitlement.currentPeriodEnd),
    paidThrough: iso(entitlement.paidThrough),
    cancelAtPeriodEnd: entitlement.cancelAtPeriodEnd,
    pendingChange: pending(entitlement.pendingChange),
    manage: primary?.manage ?? null,
    limits: { image: entitlement.limits.image, video: entitlement.limits.video },
    usageToday: {
      completedJobs: usage.completedJobs,
      renderSpark: usage.renderSpark,
      resetsAt: usage.resetsAt.toISOString(),
    },
    subscriptions,
    duplicateBilling: entitlement.duplicateBilling,
  };
}
