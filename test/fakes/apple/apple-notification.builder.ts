import { randomUUID } from 'node:crypto';
import type {
  JWSRenewalInfoDecodedPayload,
  JWSTransactionDecodedPayload,
  ResponseBodyV2DecodedPayload,
} from '@apple/app-store-server-library';
import type { AppleTestSigner, SignOptions } from './apple-test-ca';

/**
 * Realistic App Store Server Notifications V2 payloads, field for field as Apple sends them
 * (https://developer.apple.com/documentation/appstoreservernotifications/responsebodyv2decodedpayload,
 * JWSTransactionDecodedPayload, JWSRenewalInfoDecodedPayload), and signed like Apple signs them.
 */

export type AppleEnvironmentValue = 'Production' | 'Sandbox' | 'Xcode' | 'LocalTesting';

export interface AppleAppIdentity {
  bundleId: string;
  appAppleId: number;
  bundleVersion: string;
}

export const TEST_APPLE_APP: AppleAppIdentity = {
  bundleId: 'com.example.creative',
  appAppleId: 6450000001,
  bundleVersion: '42',
};

export const DAY_MS = 86_400_000;

/** Apple's list prices in milliunits (price field), per productId. */
const PRICES: Record<string, number> = {
  'unlimited.monthly': 19990,
  'unlimited.annual': 199000,
  'unlimited_pro.monthly': 49990,
  'unlimited_pro.annual': 498000,
};

let sequence = 0;
/** A numeric id shaped like Apple's transaction ids. */
export function appleNumericId(prefix = '2000000'): string {
  sequence += 1;
  const unique = `${Date.now() % 1_000_000}${String(sequence).padStart(3, '0')}`;
  return `${prefix}${unique.padStart(9, '0').slice(-9)}`;
}

export type TransactionFields = JWSTransactionDecodedPayload & {
  originalTransactionId: string;
  productId: string;
  purchaseDate: number;
  expiresDate: number;
  signedDate: number;
};

/** A subscription transaction (JWSTransactionDecodedPayload) with Apple's usual fields. */
export function buildTransaction(
  fields: TransactionFields,
  app: AppleAppIdentity = TEST_APPLE_APP,
  environment: AppleEnvironmentValue = 'Production',
): JWSTransactionDecodedPayload {
  return {
    transactionId: fields.transactionId ?? appleNumericId(),
    webOrderLineItemId: appleNumericId('2000000'),
    bundleId: app.bundleId,
    subscriptionGroupIdentifier: '21482456',
    originalPurchaseDate: fields.originalPurchaseDate ?? fields.purchaseDate,
    quantity: 1,
    type: 'Auto-Renewable Subscription',
    inAppOwnershipType: 'PURCHASED',
    environment,
    transactionReason: 'PURCHASE',
    storefront: 'USA',
    storefrontId: '143441',
    price: PRICES[fields.productId] ?? 9990,
    currency: 'USD',
    appTransactionId: '704289572311575441',
    ...fields,
  };
}

export type RenewalInfoFields = JWSRenewalInfoDecodedPayload & {
  originalTransactionId: string;
  productId: string;
  signedDate: number;
};

/** Renewal info (JWSRenewalInfoDecodedPayload) with Apple's usual fields. */
export function buildRenewalInfo(
  fields: RenewalInfoFields,
  environment: AppleEnvironmentValue = 'Production',
): JWSRenewalInfoDecodedPayload {
  return {
    autoRenewProductId: fields.autoRenewProductId ?? fields.productId,
    autoRenewStatus: 1,
    environment,
    recentSubscriptionStartDate: fields.signedDate,
    currency: 'USD',
    renewalPrice: PRICES[fields.autoRenewProductId ?? fields.productId] ?? 9990,
    appTransactionId: '704289572311575441',
    ...fields,
  };
}

export interface NotificationSpec {
  notificationType: string;
  subtype?: string;
  notificationUUID?: string;
  signedDate: number;
  environment?: AppleEnvironmentValue;
  app?: AppleAppIdentity;
  /** Omit data.appAppleId (Apple omits it in the sandbox). Default: omitted only for Sandbox. */
  omitAppAppleId?: boolean;
  signedTransactionInfo?: string;
  signedRenewalInfo?: string;
  status?: number;
  consumptionRequestReason?: string;
}

/** The decoded notification payload (ResponseBodyV2DecodedPayload) with a `data` object. */
export function buildNotificationPayload(spec: NotificationSpec): ResponseBodyV2DecodedPayload {
  const app = spec.app ?? TEST_APPLE_APP;
  const environment = spec.environment ?? 'Production';
  const omitAppAppleId = spec.omitAppAppleId ?? environment === 'Sandbox';
  const data: NonNullable<ResponseBodyV2DecodedPayload['data']> = {
    ...(omitAppAppleId ? {} : { appAppleId: app.appAppleId }),
    bundleId: app.bundleId,
    bundleVersion: app.bundleVersion,
    environment,
    ...(spec.signedTransactionInfo ? { signedTransactionInfo: spec.signedTransactionInfo } : {}),
    ...(spec.signedRenewalInfo ? { signedRenewalInfo: spec.signedRenewalInfo } : {}),
    ...(spec.status !== undefined ? { status: spec.status } : {}),
    ...(spec.consumptionRequestReason
      ? { consumptionRequestReason: spec.consumptionRequestReason }
      : {}),
  };
  return {
    notificationType: spec.notificationType,
    ...(spec.subtype ? { subtype: spec.subtype } : {}),
    notificationUUID: spec.notificationUUID ?? randomUUID(),
    data,
    version: '2.0',
    signedDate: spec.signedDate,
  };
}

/** A RENEWAL_EXTENSION/SUMMARY payload (a `summary` object instead of `data`). */
export function buildSummaryPayload(spec: {
  signedDate: number;
  environment?: AppleEnvironmentValue;
  app?: AppleAppIdentity;
  productId?: string;
}): ResponseBodyV2DecodedPayload {
  const app = spec.app ?? TEST_APPLE_APP;
  const environment = spec.environment ?? 'Production';
  return {
    notificationType: 'RENEWAL_EXTENSION',
    subtype: 'SUMMARY',
    notificationUUID: randomUUID(),
    version: '2.0',
    signedDate: spec.signedDate,
    summary: {
      requestIdentifier: randomUUID(),
      environment,
      ...(environment === 'Sandbox' ? {} : { appAppleId: app.appAppleId }),
      bundleId: app.bundleId,
      productId: spec.productId ?? 'unlimited.monthly',
      storefrontCountryCodes: ['USA', 'CAN'],
      succeededCount: 1200,
      failedCount: 3,
    },
  };
}

export interface SignedNotification {
  payload: ResponseBodyV2DecodedPayload;
  signedPayload: string;
  /** The HTTP body Apple posts. */
  body: { signedPayload: string };
}

/** Signs transactions, renewal infos and notifications with one test chain. */
export class AppleNotificationSigner {
  constructor(
    readonly signer: AppleTestSigner,
    readonly app: AppleAppIdentity = TEST_APPLE_APP,
  ) {}

  sign(payload: object, options?: SignOptions): string {
    return this.signer.sign(payload, options);
  }

  /**
   * A full notification: the transaction and renewal info are signed into data, then the
   * notification itself is signed.
   */
  notification(
    spec: Omit<NotificationSpec, 'signedTransactionInfo' | 'signedRenewalInfo'> & {
      transaction?: JWSTransactionDecodedPayload;
      renewalInfo?: JWSRenewalInfoDecodedPayload;
    },
    options?: SignOptions,
  ): SignedNotification {
    const payload = buildNotificationPayload({
      ...spec,
      app: spec.app ?? this.app,
      signedTransactionInfo: spec.transaction ? this.sign(spec.transaction) : undefined,
      signedRenewalInfo: spec.renewalInfo ? this.sign(spec.renewalInfo) : undefined,
    });
    return this.signed(payload, options);
  }

  signed(payload: ResponseBodyV2DecodedPayload, options?: SignOptions): SignedNotification {
    const signedPayload = this.sign(payload, options);
    return { payload, signedPayload, body: { signedPayload } };
  }
}
