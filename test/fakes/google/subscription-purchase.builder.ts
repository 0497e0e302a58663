/**
 * Typed builders of Google's JSON: `purchases.subscriptionsv2` resources, Developer notifications
 * and Pub/Sub push envelopes, spelled as Google spells them (times as RFC 3339 strings,
 * eventTimeMillis as a string, data as base64).
 */
import type { androidpublisher_v3 } from '@googleapis/androidpublisher';

export type SubscriptionPurchaseV2 = androidpublisher_v3.Schema$SubscriptionPurchaseV2;
export type SubscriptionPurchaseLineItem = androidpublisher_v3.Schema$SubscriptionPurchaseLineItem;

export type SubscriptionStateName =
  | 'SUBSCRIPTION_STATE_UNSPECIFIED'
  | 'SUBSCRIPTION_STATE_PENDING'
  | 'SUBSCRIPTION_STATE_ACTIVE'
  | 'SUBSCRIPTION_STATE_PAUSED'
  | 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD'
  | 'SUBSCRIPTION_STATE_ON_HOLD'
  | 'SUBSCRIPTION_STATE_CANCELED'
  | 'SUBSCRIPTION_STATE_EXPIRED'
  | 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED';

export interface SubscriptionSpec {
  state: SubscriptionStateName;
  productId?: string;
  basePlanId?: string;
  /** RFC 3339 instant or Date; omitted for a pending purchase. */
  expiryTime?: Date | string | null;
  startTime?: Date | string | null;
  freeTrial?: boolean;
  autoRenewEnabled?: boolean;
  acknowledged?: boolean;
  obfuscatedAccountId?: string | null;
  linkedPurchaseToken?: string | null;
  testPurchase?: boolean;
  deferredReplacementProductId?: string | null;
  autoResumeTime?: Date | string | null;
  offerId?: string | null;
  offerTags?: string[];
  canceledBy?: 'user' | 'system' | 'developer' | 'replacement' | null;
  cancelTime?: Date | string | null;
  orderId?: string | null;
}

const iso = (v: Date | string): string => (typeof v === 'string' ? v : v.toISOString());

/** A subscriptionsv2 resource as `GET .../purchases/subscriptionsv2/tokens/{token}` returns it. */
export function subscriptionPurchase(spec: SubscriptionSpec): SubscriptionPurchaseV2 {
  const productId = spec.productId ?? 'unlimited';
  const basePlanId = spec.basePlanId ?? 'monthly';
  const pending =
    spec.state === 'SUBSCRIPTION_STATE_PENDING' ||
    spec.state === 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED';
  const canceledOrExpired =
    spec.state === 'SUBSCRIPTION_STATE_CANCELED' || spec.state === 'SUBSCRIPTION_STATE_EXPIRED';
  const autoRenewEnabled =
    spec.autoRenewEnabled ??
    !(canceledOrExpired || spec.state === 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED');

  const item: SubscriptionPurchaseLineItem = {
    productId,
    autoRenewingPlan: {
      autoRenewEnabled,
      recurringPrice: {
        currencyCode: 'USD',
        units: productId === 'unlimited_pro' ? '50' : '20',
        nanos: 0,
      },
    },
    offerDetails: {
      basePlanId,
      ...(spec.offerId ? { offerId: spec.offerId } : {}),
      offerTags: spec.offerTags ?? [],
    },
    offerPhase: spec.freeTrial ? { freeTrial: {} } : { basePrice: {} },
  };
  if (spec.expiryTime) item.expiryTime = iso(spec.expiryTime);
  if (!pending) item.latestSuccessfulOrderId = spec.orderId ?? 'GPA.3345-6789-0123-45678';
  if (spec.deferredReplacementProductId) {
    item.deferredItemReplacement = { productId: spec.deferredReplacementProductId };
  }

  const resource: SubscriptionPurchaseV2 = {
    kind: 'androidpublisher#subscriptionPurchaseV2',
    regionCode: 'US',
    lineItems: [item],
    subscriptionState: spec.state,
    acknowledgementState: spec.acknowledged
      ? 'ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED'
      : 'ACKNOWLEDGEMENT_STATE_PENDING',
    etag: 'etag-1',
  };
  if (!pending) resource.startTime = iso(spec.startTime ?? '2026-01-01T00:00:00.000Z');
  if (spec.obfuscatedAccountId) {
    resource.externalAccountIdentifiers = { obfuscatedExternalAccountId: spec.obfuscatedAccountId };
  }
  if (spec.linkedPurchaseToken) resource.linkedPurchaseToken = spec.linkedPurchaseToken;
  if (spec.testPurchase) resource.testPurchase = {};
  if (spec.state === 'SUBSCRIPTION_STATE_PAUSED' && spec.autoResumeTime) {
    resource.pausedStateContext = { autoResumeTime: iso(spec.autoResumeTime) };
  }
  if (spec.state === 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD') resource.inGracePeriodStateContext = {};
  if (spec.state === 'SUBSCRIPTION_STATE_ON_HOLD') resource.onHoldStateContext = {};
  if (canceledOrExpired && spec.canceledBy !== null) {
    const by =
      spec.canceledBy ?? (spec.state === 'SUBSCRIPTION_STATE_CANCELED' ? 'user' : undefined);
    if (by === 'user') {
      resource.canceledStateContext = {
        userInitiatedCancellation: {
          cancelTime: iso(spec.cancelTime ?? '2026-01-02T00:00:00.000Z'),
        },
      };
    } else if (by === 'system') {
      resource.canceledStateContext = { systemInitiatedCancellation: {} };
    } else if (by === 'developer') {
      resource.canceledStateContext = { developerInitiatedCancellation: {} };
    } else if (by === 'replacement') {
      resource.canceledStateContext = { replacementCancellation: {} };
    }
  }
  return resource;
}

export interface DeveloperNotificationJson {
  version: string;
  packageName: string;
  eventTimeMillis: string;
  subscriptionNotification?: { version: string; notificationType: number; purchaseToken: string };
  voidedPurchaseNotification?: {
    purchaseToken: string;
    orderId: string;
    productType: number;
    refundType: number;
  };
  oneTimeProductNotification?: {
    version: string;
    notificationType: number;
    purchaseToken: string;
    sku: string;
  };
  testNotification?: { version: string };
}

export function subscriptionNotification(
  packageName: string,
  notificationType: number,
  purchaseToken: string,
  eventTime: Date,
): DeveloperNotificationJson {
  return {
    version: '1.0',
    packageName,
    eventTimeMillis: String(eventTime.getTime()),
    subscriptionNotification: { version: '1.0', notificationType, purchaseToken },
  };
}

export function voidedPurchaseNotification(
  packageName: string,
  purchaseToken: string,
  eventTime: Date,
  productType = 1,
  refundType = 1,
): DeveloperNotificationJson {
  return {
    version: '1.0',
    packageName,
    eventTimeMillis: String(eventTime.getTime()),
    voidedPurchaseNotification: {
      purchaseToken,
      orderId: 'GPA.3345-6789-0123-45678',
      productType,
      refundType,
    },
  };
}

export function testNotification(packageName: string, eventTime: Date): DeveloperNotificationJson {
  return {
    version: '1.0',
    packageName,
    eventTimeMillis: String(eventTime.getTime()),
    testNotification: { version: '1.0' },
  };
}

export interface PubSubPushBody {
  message: {
    attributes?: Record<string, string>;
    data: string;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
  };
  subscription: string;
}

/** The body Pub/Sub POSTs to a push endpoint (it sends both camelCase and snake_case ids). */
export function pubsubPush(
  messageId: string,
  notification: DeveloperNotificationJson | string,
  publishTime: Date = new Date(),
): PubSubPushBody {
  const json = typeof notification === 'string' ? notification : JSON.stringify(notification);
  return {
    message: {
      data: Buffer.from(json, 'utf8').toString('base64'),
      messageId,
      message_id: messageId,
      publishTime: publishTime.toISOString(),
      publish_time: publishTime.toISOString(),
    },
    subscription: 'projects/example-project/subscriptions/play-rtdn-push',
  };
}
