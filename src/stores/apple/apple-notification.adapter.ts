import {
  AutoRenewStatus,
  NotificationTypeV2,
  OfferDiscountType,
  OfferType,
  Status,
  Type,
} from '@apple/app-store-server-library';
import type {
  JWSRenewalInfoDecodedPayload,
  JWSTransactionDecodedPayload,
} from '@apple/app-store-server-library';
import type { ProductGrant } from '../../catalog/catalog.types';
import type {
  PendingChange,
  PrimaryState,
  SubscriptionSnapshot,
} from '../../entitlements/domain/subscription-snapshot';
import { appleEventName, type VerifiedAppleNotification } from './apple-notification.types';

/**
 * App Store Server Notifications V2 → SubscriptionSnapshot. Pure: no framework, no clock, no I/O.
 *
 * The state is read from the signed data (data.status, the transaction and the renewal info),
 * never from the notification type alone: the type only says what happened, for the history.
 * Because every snapshot is complete and ordered by the notification's signedDate, deliveries in
 * any order end in the same state.
 */

/** What a store product grants (the catalog's product map entry). */
export type ProductPlan = ProductGrant;

/** The store product map for Apple productIds; null for a product the service does not sell. */
export type ResolveProduct = (productId: string) => ProductPlan | null;

export interface AppleAdapterContext {
  /** The account linked to the purchase's appAccountToken, or null (kept unlinked). */
  accountId: string | null;
  resolveProduct: ResolveProduct;
}

export type AppleAdapterResult =
  | { kind: 'snapshot'; snapshot: SubscriptionSnapshot }
  /** Stored and recorded; the subscription's state does not change. */
  | { kind: 'ignored'; note: string }
  /** Verified but unusable content: retrying cannot help. */
  | { kind: 'invalid'; code: string; message: string };

/** What a notification type can do to a subscription's state. */
type TypeEffect = 'snapshot' | 'record_only';

function effectOf(type: NotificationTypeV2): TypeEffect {
  switch (type) {
    case NotificationTypeV2.SUBSCRIBED:
    case NotificationTypeV2.DID_RENEW:
    case NotificationTypeV2.DID_FAIL_TO_RENEW:
    case NotificationTypeV2.GRACE_PERIOD_EXPIRED:
    case NotificationTypeV2.EXPIRED:
    case NotificationTypeV2.DID_CHANGE_RENEWAL_PREF:
    case NotificationTypeV2.DID_CHANGE_RENEWAL_STATUS:
    case NotificationTypeV2.REFUND:
    case NotificationTypeV2.REFUND_REVERSED:
    case NotificationTypeV2.REVOKE:
    case NotificationTypeV2.OFFER_REDEEMED:
    case NotificationTypeV2.RENEWAL_EXTENDED:
      return 'snapshot';
    // Informational, or about something other than a subscription's entitlement: a price
    // increase is only a consent request, a declined refund changes nothing, a consumption
    // request asks for data, RENEWAL_EXTENSION reports a mass extension (each subscriber also
    // gets RENEWAL_EXTENDED), the rest are Advanced Commerce, external purchase or consent events.
    case NotificationTypeV2.TEST:
    case NotificationTypeV2.CONSUMPTION_REQUEST:
    case NotificationTypeV2.PRICE_INCREASE:
    case NotificationTypeV2.REFUND_DECLINED:
    case NotificationTypeV2.ONE_TIME_CHARGE:
    case NotificationTypeV2.RENEWAL_EXTENSION:
    case NotificationTypeV2.EXTERNAL_PURCHASE_TOKEN:
    case NotificationTypeV2.RESCIND_CONSENT:
    case NotificationTypeV2.METADATA_UPDATE:
    case NotificationTypeV2.MIGRATION:
    case NotificationTypeV2.PRICE_CHANGE:
      return 'record_only';
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(NotificationTypeV2));

function knownType(type: string): NotificationTypeV2 | null {
  return KNOWN_TYPES.has(type) ? (type as NotificationTypeV2) : null;
}

/** data.status (the subscription's status at signing time) → our primary state. */
function stateOfStatus(status: Status, transaction: JWSTransactionDecodedPayload): PrimaryState {
  switch (status) {
    case Status.ACTIVE:
      return isFreeTrial(transaction) ? 'trial' : 'active';
    case Status.EXPIRED:
      return 'expired';
    case Status.BILLING_RETRY:
    case Status.BILLING_GRACE_PERIOD:
      return 'past_due';
    case Status.REVOKED:
      return 'revoked';
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

const KNOWN_STATUSES: ReadonlySet<number> = new Set([
  Status.ACTIVE,
  Status.EXPIRED,
  Status.BILLING_RETRY,
  Status.BILLING_GRACE_PERIOD,
  Status.REVOKED,
]);

/**
 * Notifications always carry data.status for auto-renewable subscriptions; should one not, the
 * same answer is read from the transaction and renewal info at the notification's signing time.
 */
function inferStatus(
  transaction: JWSTransactionDecodedPayload,
  renewalInfo: JWSRenewalInfoDecodedPayload | null,
  signedDate: number,
): Status {
  if (transaction.revocationDate !== undefined) return Status.REVOKED;
  if (renewalInfo?.isInBillingRetryPeriod === true) {
    const grace = renewalInfo.gracePeriodExpiresDate;
    return grace !== undefined && grace > signedDate
      ? Status.BILLING_GRACE_PERIOD
      : Status.BILLING_RETRY;
  }
  if (transaction.expiresDate !== undefined && transaction.expiresDate <= signedDate) {
    return Status.EXPIRED;
  }
  return Status.ACTIVE;
}

/** A free-trial period: FREE_TRIAL discount (introductory, offer code or promotional offer). */
export function isFreeTrial(transaction: JWSTransactionDecodedPayload): boolean {
  if (transaction.offerDiscountType !== undefined) {
    return transaction.offerDiscountType === OfferDiscountType.FREE_TRIAL;
  }
  // Transactions signed before offerDiscountType existed: a zero-price introductory offer.
  return transaction.offerType === OfferType.INTRODUCTORY_OFFER && transaction.price === 0;
}

function dateOf(ms: number | undefined): Date | null {
  return ms === undefined ? null : new Date(ms);
}

/** The appAccountToken the purchase was made with (the app sets it from our store ids). */
export function appAccountTokenOf(notification: VerifiedAppleNotification): string | null {
  return (
    notification.transaction?.appAccountToken ?? notification.renewalInfo?.appAccountToken ?? null
  );
}

function pendingChangeOf(
  transaction: JWSTransactionDecodedPayload & { productId: string },
  renewalInfo: JWSRenewalInfoDecodedPayload | null,
  current: ProductPlan | null,
  resolveProduct: ResolveProduct,
): PendingChange | null {
  if (!renewalInfo || renewalInfo.autoRenewStatus === AutoRenewStatus.OFF) return null;
  const next = renewalInfo.autoRenewProductId;
  if (next === undefined || next === transaction.productId) return null;
  if (transaction.expiresDate === undefined) return null;
  const nextPlan = resolveProduct(next);
  // A renewal into a product the service does not sell grants nothing; it is reported when it
  // becomes the current product, not scheduled as a change.
  if (!nextPlan) return null;
  if (current && current.plan === nextPlan.plan && current.interval === nextPlan.interval)
    return null;
  return { ...nextPlan, effectiveAt: new Date(transaction.expiresDate) };
}

export function adaptAppleNotification(
  verified: VerifiedAppleNotification,
  context: AppleAdapterContext,
): AppleAdapterResult {
  const { notification, transaction, renewalInfo } = verified;
  const event = appleEventName(notification);
  const type = knownType(notification.notificationType);
  if (type === null) {
    return {
      kind: 'ignored',
      note: `Unknown notification type ${event}: recorded, state unchanged.`,
    };
  }
  if (effectOf(type) === 'record_only') {
    return { kind: 'ignored', note: `${event} does not change a subscription's state.` };
  }
  if (!transaction) {
    return {
      kind: 'invalid',
      code: 'apple_transaction_missing',
      message: `${event} carries no signedTransactionInfo.`,
    };
  }
  if (transaction.type !== undefined && transaction.type !== Type.AUTO_RENEWABLE_SUBSCRIPTION) {
    return {
      kind: 'ignored',
      note: `${event} is about a ${transaction.type} purchase, not an auto-renewable subscription.`,
    };
  }
  const { originalTransactionId, productId } = transaction;
  if (!originalTransactionId || !productId) {
    return {
      kind: 'invalid',
      code: 'apple_transaction_incomplete',
      message: `${event}: the transaction has no originalTransactionId or productId.`,
    };
  }
  if (
    renewalInfo?.originalTransactionId &&
    renewalInfo.originalTransactionId !== originalTransactionId
  ) {
    return {
      kind: 'invalid',
      code: 'apple_renewal_info_mismatch',
      message: `${event}: the renewal info belongs to another subscription.`,
    };
  }

  const rawStatus = notification.data?.status;
  if (rawStatus !== undefined && !KNOWN_STATUSES.has(rawStatus)) {
    return {
      kind: 'invalid',
      code: 'apple_unknown_status',
      message: `${event}: data.status ${rawStatus} is not an App Store subscription status.`,
    };
  }
  const status =
    rawStatus !== undefined
      ? (rawStatus as Status)
      : inferStatus(transaction, renewalInfo, notification.signedDate);

  // A refund or revoke of a transaction that is not the subscription's current one (an older
  // renewal) leaves the subscription as it is; its dates must not overwrite the current period.
  if (transaction.revocationDate !== undefined && status !== Status.REVOKED) {
    return {
      kind: 'ignored',
      note: `${event} revokes an earlier transaction; the subscription's status is unchanged.`,
    };
  }

  const state = stateOfStatus(status, transaction);
  const product = context.resolveProduct(productId);
  const live = state === 'trial' || state === 'active';
  const snapshot: SubscriptionSnapshot = {
    store: 'apple',
    storeSubscriptionId: originalTransactionId,
    accountId: context.accountId,
    observedAt: new Date(notification.signedDate),
    status: state,
    plan: product?.plan ?? null,
    interval: product?.interval ?? null,
    productId,
    currentPeriodStart: dateOf(transaction.purchaseDate),
    currentPeriodEnd: dateOf(transaction.expiresDate),
    trialEnd: isFreeTrial(transaction) ? dateOf(transaction.expiresDate) : null,
    cancelAtPeriodEnd: live && renewalInfo?.autoRenewStatus === AutoRenewStatus.OFF,
    pendingChange: live
      ? pendingChangeOf({ ...transaction, productId }, renewalInfo, product, context.resolveProduct)
      : null,
    gracePeriodEnd: state === 'past_due' ? dateOf(renewalInfo?.gracePeriodExpiresDate) : null,
    sandbox: verified.environment === 'Sandbox',
    // Apple can reverse a refund (REFUND_REVERSED), so a revocation is never sticky here.
    revokedThrough: null,
    supersedes: null,
    sourceEvent: event,
  };
  return { kind: 'snapshot', snapshot };
}
