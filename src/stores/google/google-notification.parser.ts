/**
 * Pure parsing of what Pub/Sub pushes for Google Play Real-time developer notifications (RTDN):
 * the push envelope, its base64 `data`, and the `DeveloperNotification` inside. No I/O, no clock.
 *
 * The notification only says *that* something changed; the state is always re-read through
 * `purchases.subscriptionsv2.get`. The type names the event for the history.
 */
import { GoogleInboxFailure } from './google-errors';

/** `subscriptionNotification.notificationType`, as Google numbers them. */
export const SUBSCRIPTION_NOTIFICATION_TYPES = {
  1: 'SUBSCRIPTION_RECOVERED',
  2: 'SUBSCRIPTION_RENEWED',
  3: 'SUBSCRIPTION_CANCELED',
  4: 'SUBSCRIPTION_PURCHASED',
  5: 'SUBSCRIPTION_ON_HOLD',
  6: 'SUBSCRIPTION_IN_GRACE_PERIOD',
  7: 'SUBSCRIPTION_RESTARTED',
  8: 'SUBSCRIPTION_PRICE_CHANGE_CONFIRMED',
  9: 'SUBSCRIPTION_DEFERRED',
  10: 'SUBSCRIPTION_PAUSED',
  11: 'SUBSCRIPTION_PAUSE_SCHEDULE_CHANGED',
  12: 'SUBSCRIPTION_REVOKED',
  13: 'SUBSCRIPTION_EXPIRED',
  17: 'SUBSCRIPTION_ITEMS_CHANGED',
  18: 'SUBSCRIPTION_CANCELLATION_SCHEDULED',
  19: 'SUBSCRIPTION_PRICE_CHANGE_UPDATED',
  20: 'SUBSCRIPTION_PENDING_PURCHASE_CANCELED',
  22: 'SUBSCRIPTION_PRICE_STEP_UP_CONSENT_UPDATED',
} as const;

export type SubscriptionNotificationName =
  (typeof SUBSCRIPTION_NOTIFICATION_TYPES)[keyof typeof SUBSCRIPTION_NOTIFICATION_TYPES];

/** `voidedPurchaseNotification.productType`. */
export const VOIDED_PRODUCT_TYPE_SUBSCRIPTION = 1;

/**
 * What a subscription notification asks of the handler. Every type re-reads the subscription;
 * REVOKED also marks the token revoked, because after a revocation `subscriptionsv2` only says
 * SUBSCRIPTION_STATE_EXPIRED.
 */
export type SubscriptionNotificationEffect = 'reread' | 'reread_and_revoke';

export function subscriptionNotificationEffect(
  name: SubscriptionNotificationName,
): SubscriptionNotificationEffect {
  switch (name) {
    case 'SUBSCRIPTION_REVOKED':
      return 'reread_and_revoke';
    case 'SUBSCRIPTION_RECOVERED':
    case 'SUBSCRIPTION_RENEWED':
    case 'SUBSCRIPTION_CANCELED':
    case 'SUBSCRIPTION_PURCHASED':
    case 'SUBSCRIPTION_ON_HOLD':
    case 'SUBSCRIPTION_IN_GRACE_PERIOD':
    case 'SUBSCRIPTION_RESTARTED':
    case 'SUBSCRIPTION_PRICE_CHANGE_CONFIRMED':
    case 'SUBSCRIPTION_DEFERRED':
    case 'SUBSCRIPTION_PAUSED':
    case 'SUBSCRIPTION_PAUSE_SCHEDULE_CHANGED':
    case 'SUBSCRIPTION_EXPIRED':
    case 'SUBSCRIPTION_ITEMS_CHANGED':
    case 'SUBSCRIPTION_CANCELLATION_SCHEDULED':
    case 'SUBSCRIPTION_PRICE_CHANGE_UPDATED':
    case 'SUBSCRIPTION_PENDING_PURCHASE_CANCELED':
    case 'SUBSCRIPTION_PRICE_STEP_UP_CONSENT_UPDATED':
      return 'reread';
    default: {
      const unhandled: never = name;
      throw new Error(`Unhandled subscription notification ${String(unhandled)}`);
    }
  }
}

/** The name of a notification type; unknown (future) numbers keep their number. */
export function subscriptionNotificationName(type: number): string {
  const known = (SUBSCRIPTION_NOTIFICATION_TYPES as Record<number, SubscriptionNotificationName>)[
    type
  ];
  return known ?? `SUBSCRIPTION_NOTIFICATION_${type}`;
}

function isKnownType(type: number): boolean {
  return Object.prototype.hasOwnProperty.call(SUBSCRIPTION_NOTIFICATION_TYPES, type);
}

/** A Pub/Sub push message, reduced to what the service reads. */
export interface PubSubPushMessage {
  messageId: string;
  /** Base64 of the DeveloperNotification JSON. */
  data: string;
  publishTime: Date | null;
  attributes: Record<string, string>;
  subscription: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a Pub/Sub push body (`{message: {data, messageId, publishTime, attributes}, subscription}`).
 * Pub/Sub also sends the snake_case twins (`message_id`, `publish_time`) and may add fields, so
 * unknown fields are tolerated. Returns null when the body is not an envelope.
 */
export function parsePushEnvelope(body: unknown): PubSubPushMessage | null {
  if (!isRecord(body) || !isRecord(body.message)) return null;
  const m = body.message;
  const messageId = typeof m.messageId === 'string' ? m.messageId : m.message_id;
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > 200)
    return null;
  if (typeof m.data !== 'string' || m.data.length === 0) return null;
  const rawTime = typeof m.publishTime === 'string' ? m.publishTime : m.publish_time;
  const publishTime = typeof rawTime === 'string' ? new Date(rawTime) : null;
  const attributes: Record<string, string> = {};
  if (isRecord(m.attributes)) {
    for (const [k, v] of Object.entries(m.attributes)) if (typeof v === 'string') attributes[k] = v;
  }
  return {
    messageId,
    data: m.data,
    publishTime: publishTime && !Number.isNaN(publishTime.getTime()) ? publishTime : null,
    attributes,
    subscription: typeof body.subscription === 'string' ? body.subscription : null,
  };
}

/** A decoded DeveloperNotification, classified. */
export type GoogleNotification =
  | {
      kind: 'subscription';
      packageName: string;
      eventTime: Date;
      notificationType: number;
      /** Google's name of the type (`SUBSCRIPTION_RENEWED`, ...). */
      typeName: string;
      /** Whether Google documents this number (unknown ones are still re-read). */
      knownType: boolean;
      purchaseToken: string;
      subscriptionId: string | null;
    }
  | {
      kind: 'voided_purchase';
      packageName: string;
      eventTime: Date;
      purchaseToken: string;
      orderId: string | null;
      productType: number;
      refundType: number | null;
    }
  | { kind: 'one_time_product'; packageName: string; eventTime: Date }
  | { kind: 'test'; packageName: string; eventTime: Date }
  | { kind: 'other'; packageName: string; eventTime: Date; fields: string[] };

export type DecodeResult =
  | { ok: true; notification: GoogleNotification }
  | { ok: false; failure: GoogleInboxFailure; message: string };

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function fail(failure: GoogleInboxFailure, message: string): DecodeResult {
  return { ok: false, failure, message };
}

/** Decodes `message.data` into a notification, or says why it cannot be one. */
export function decodeDeveloperNotification(data: string): DecodeResult {
  const compact = data.replace(/\s+/g, '');
  if (!BASE64.test(compact)) {
    return fail(GoogleInboxFailure.DataNotBase64Json, 'message.data is not base64.');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(compact, 'base64').toString('utf8'));
  } catch {
    return fail(
      GoogleInboxFailure.DataNotBase64Json,
      'message.data is not base64 of a JSON document.',
    );
  }
  return classifyDeveloperNotification(json);
}

function parseEventTime(value: unknown): Date | null {
  // eventTimeMillis is a JSON string in Google's payloads (int64), a number in some samples.
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,16}$/.test(text)) return null;
  const date = new Date(Number(text));
  return Number.isNaN(date.getTime()) ? null : date;
}

function parseInteger(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value)) return Number(value);
  return null;
}

export function classifyDeveloperNotification(json: unknown): DecodeResult {
  if (!isRecord(json)) {
    return fail(
      GoogleInboxFailure.NotADeveloperNotification,
      'The notification is not a JSON object.',
    );
  }
  const packageName = json.packageName;
  const eventTime = parseEventTime(json.eventTimeMillis);
  if (typeof packageName !== 'string' || packageName.length === 0 || eventTime === null) {
    return fail(
      GoogleInboxFailure.NotADeveloperNotification,
      'The notification lacks packageName or a valid eventTimeMillis.',
    );
  }
  const base = { packageName, eventTime };

  const sub = json.subscriptionNotification;
  if (isRecord(sub)) {
    const type = parseInteger(sub.notificationType);
    if (type === null || typeof sub.purchaseToken !== 'string' || sub.purchaseToken.length === 0) {
      return fail(
        GoogleInboxFailure.NotADeveloperNotification,
        'subscriptionNotification lacks notificationType or purchaseToken.',
      );
    }
    return {
      ok: true,
      notification: {
        kind: 'subscription',
        ...base,
        notificationType: type,
        typeName: subscriptionNotificationName(type),
        knownType: isKnownType(type),
        purchaseToken: sub.purchaseToken,
        subscriptionId: typeof sub.subscriptionId === 'string' ? sub.subscriptionId : null,
      },
    };
  }

  const voided = json.voidedPurchaseNotification;
  if (isRecord(voided)) {
    const productType = parseInteger(voided.productType);
    if (
      typeof voided.purchaseToken !== 'string' ||
      voided.purchaseToken.length === 0 ||
      productType === null
    ) {
      return fail(
        GoogleInboxFailure.NotADeveloperNotification,
        'voidedPurchaseNotification lacks purchaseToken or productType.',
      );
    }
    return {
      ok: true,
      notification: {
        kind: 'voided_purchase',
        ...base,
        purchaseToken: voided.purchaseToken,
        orderId: typeof voided.orderId === 'string' ? voided.orderId : null,
        productType,
        refundType: parseInteger(voided.refundType),
      },
    };
  }

  if (isRecord(json.testNotification)) return { ok: true, notification: { kind: 'test', ...base } };
  if (isRecord(json.oneTimeProductNotification)) {
    return { ok: true, notification: { kind: 'one_time_product', ...base } };
  }
  const fields = Object.keys(json).filter(
    (k) => !['version', 'packageName', 'eventTimeMillis'].includes(k),
  );
  return { ok: true, notification: { kind: 'other', ...base, fields } };
}

/** The inbox `eventType` of a notification (what Google called it). */
export function notificationEventType(notification: GoogleNotification): string {
  switch (notification.kind) {
    case 'subscription':
      return notification.typeName;
    case 'voided_purchase':
      return 'VOIDED_PURCHASE';
    case 'one_time_product':
      return 'ONE_TIME_PRODUCT_NOTIFICATION';
    case 'test':
      return 'TEST_NOTIFICATION';
    case 'other':
      return 'OTHER_NOTIFICATION';
    default: {
      const unhandled: never = notification;
      throw new Error(`Unhandled notification ${JSON.stringify(unhandled)}`);
    }
  }
}
