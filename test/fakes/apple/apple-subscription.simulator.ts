import type {
  JWSRenewalInfoDecodedPayload,
  JWSTransactionDecodedPayload,
} from '@apple/app-store-server-library';
import {
  appleNumericId,
  buildRenewalInfo,
  buildTransaction,
  DAY_MS,
  type AppleEnvironmentValue,
  type AppleNotificationSigner,
  type SignedNotification,
} from './apple-notification.builder';

/**
 * One App Store auto-renewable subscription moving through its lifecycle, the way the App Store
 * reports it: each step updates the subscription and returns the signed notification Apple would
 * send at `at` (its signedDate), with the current signed transaction and renewal info inside.
 */

export const PERIOD_MS: Record<string, number> = {
  'unlimited.monthly': 30 * DAY_MS,
  'unlimited_pro.monthly': 30 * DAY_MS,
  'unlimited.annual': 365 * DAY_MS,
  'unlimited_pro.annual': 365 * DAY_MS,
};
export const TRIAL_MS = 3 * DAY_MS;

interface CurrentTransaction {
  transactionId: string;
  productId: string;
  purchaseDate: number;
  expiresDate: number;
  freeTrial: boolean;
  reason: 'PURCHASE' | 'RENEWAL';
  revocationDate?: number;
}

export interface SimulatorOptions {
  productId?: string;
  appAccountToken?: string | null;
  environment?: AppleEnvironmentValue;
  familyShared?: boolean;
}

export class AppleSubscriptionSimulator {
  readonly originalTransactionId = appleNumericId();
  readonly environment: AppleEnvironmentValue;
  private appAccountToken: string | null;
  private readonly familyShared: boolean;
  private current: CurrentTransaction | null = null;
  private originalPurchaseDate = 0;
  private autoRenewProductId: string;
  private autoRenewStatus: 0 | 1 = 1;
  private billingRetry = false;
  private gracePeriodExpiresDate: number | undefined;
  private expirationIntent: number | undefined;
  private status = 1;

  constructor(
    private readonly signer: AppleNotificationSigner,
    options: SimulatorOptions = {},
  ) {
    this.autoRenewProductId = options.productId ?? 'unlimited.monthly';
    this.appAccountToken = options.appAccountToken ?? null;
    this.environment = options.environment ?? 'Production';
    this.familyShared = options.familyShared ?? false;
  }

  /** The token the app passes to StoreKit at purchase (null: a purchase made without one). */
  setAppAccountToken(token: string | null): void {
    this.appAccountToken = token;
  }

  get expiresDate(): number {
    return this.tx().expiresDate;
  }

  private tx(): CurrentTransaction {
    if (!this.current) throw new Error('subscribe first');
    return this.current;
  }

  private newTransaction(
    productId: string,
    purchaseDate: number,
    options: { freeTrial?: boolean; reason?: 'PURCHASE' | 'RENEWAL' } = {},
  ): void {
    const freeTrial = options.freeTrial ?? false;
    this.current = {
      transactionId: appleNumericId(),
      productId,
      purchaseDate,
      expiresDate: purchaseDate + (freeTrial ? TRIAL_MS : (PERIOD_MS[productId] ?? 30 * DAY_MS)),
      freeTrial,
      reason: options.reason ?? 'PURCHASE',
    };
  }

  private transaction(at: number): JWSTransactionDecodedPayload {
    const tx = this.tx();
    return buildTransaction(
      {
        transactionId: tx.transactionId,
        originalTransactionId: this.originalTransactionId,
        productId: tx.productId,
        purchaseDate: tx.purchaseDate,
        originalPurchaseDate: this.originalPurchaseDate,
        expiresDate: tx.expiresDate,
        signedDate: at,
        transactionReason: tx.reason,
        inAppOwnershipType: this.familyShared ? 'FAMILY_SHARED' : 'PURCHASED',
        ...(this.appAccountToken ? { appAccountToken: this.appAccountToken } : {}),
        ...(tx.freeTrial
          ? { offerType: 1, offerDiscountType: 'FREE_TRIAL', offerPeriod: 'P3D', price: 0 }
          : {}),
        ...(tx.revocationDate !== undefined
          ? {
              revocationDate: tx.revocationDate,
              revocationReason: 0,
              revocationType: this.familyShared ? 'FAMILY_REVOKE' : 'REFUND_FULL',
            }
          : {}),
      },
      this.signer.app,
      this.environment,
    );
  }

  private renewalInfo(at: number): JWSRenewalInfoDecodedPayload {
    const tx = this.tx();
    return buildRenewalInfo(
      {
        originalTransactionId: this.originalTransactionId,
        productId: tx.productId,
        autoRenewProductId: this.autoRenewProductId,
        autoRenewStatus: this.autoRenewStatus,
        signedDate: at,
        renewalDate: tx.expiresDate,
        recentSubscriptionStartDate: this.originalPurchaseDate,
        ...(this.appAccountToken ? { appAccountToken: this.appAccountToken } : {}),
        ...(this.billingRetry ? { isInBillingRetryPeriod: true } : {}),
        ...(this.gracePeriodExpiresDate !== undefined
          ? { gracePeriodExpiresDate: this.gracePeriodExpiresDate }
          : {}),
        ...(this.expirationIntent !== undefined ? { expirationIntent: this.expirationIntent } : {}),
      },
      this.environment,
    );
  }

  private notify(type: string, subtype: string | undefined, at: number): SignedNotification {
    return this.signer.notification({
      notificationType: type,
      subtype,
      signedDate: at,
      environment: this.environment,
      status: this.status,
      transaction: this.transaction(at),
      renewalInfo: this.renewalInfo(at),
    });
  }

  /** SUBSCRIBED/INITIAL_BUY, with a 3-day free trial when asked. */
  subscribe(at: number, options: { freeTrial?: boolean } = {}): SignedNotification {
    this.originalPurchaseDate = at;
    this.newTransaction(this.autoRenewProductId, at, options);
    this.status = 1;
    this.autoRenewStatus = 1;
    return this.notify('SUBSCRIBED', 'INITIAL_BUY', at);
  }

  /** DID_RENEW: the next period in the auto-renew product (a scheduled downgrade applies here). */
  renew(at: number): SignedNotification {
    const recovery = this.billingRetry;
    const start = recovery ? at : this.tx().expiresDate;
    this.newTransaction(this.autoRenewProductId, start, { reason: 'RENEWAL' });
    this.clearBillingIssue();
    this.status = 1;
    return this.notify('DID_RENEW', recovery ? 'BILLING_RECOVERY' : undefined, at);
  }

  /** DID_CHANGE_RENEWAL_STATUS: the customer turns auto-renew off or on. */
  setAutoRenew(at: number, on: boolean): SignedNotification {
    this.autoRenewStatus = on ? 1 : 0;
    this.expirationIntent = on ? undefined : 1;
    return this.notify(
      'DID_CHANGE_RENEWAL_STATUS',
      on ? 'AUTO_RENEW_ENABLED' : 'AUTO_RENEW_DISABLED',
      at,
    );
  }

  /** DID_CHANGE_RENEWAL_PREF/UPGRADE: the higher product starts now with a new period. */
  upgrade(at: number, productId: string): SignedNotification {
    this.autoRenewProductId = productId;
    this.newTransaction(productId, at);
    return this.notify('DID_CHANGE_RENEWAL_PREF', 'UPGRADE', at);
  }

  /** DID_CHANGE_RENEWAL_PREF/DOWNGRADE: the lower product takes over at the next renewal. */
  downgrade(at: number, productId: string): SignedNotification {
    this.autoRenewProductId = productId;
    return this.notify('DID_CHANGE_RENEWAL_PREF', 'DOWNGRADE', at);
  }

  /** DID_CHANGE_RENEWAL_PREF with no subtype: back to the current product. */
  revertRenewalPref(at: number): SignedNotification {
    this.autoRenewProductId = this.tx().productId;
    return this.notify('DID_CHANGE_RENEWAL_PREF', undefined, at);
  }

  /** DID_FAIL_TO_RENEW: billing retry, with a grace period when `graceMs` is given. */
  failToRenew(at: number, graceMs?: number): SignedNotification {
    this.billingRetry = true;
    this.expirationIntent = 2;
    if (graceMs !== undefined) {
      this.gracePeriodExpiresDate = this.tx().expiresDate + graceMs;
      this.status = 4;
    } else {
      this.status = 3;
    }
    return this.notify('DID_FAIL_TO_RENEW', graceMs !== undefined ? 'GRACE_PERIOD' : undefined, at);
  }

  /** GRACE_PERIOD_EXPIRED: grace is over, billing retry goes on. */
  gracePeriodExpired(at: number): SignedNotification {
    this.status = 3;
    return this.notify('GRACE_PERIOD_EXPIRED', undefined, at);
  }

  /** EXPIRED with its subtype (VOLUNTARY, BILLING_RETRY, PRICE_INCREASE, PRODUCT_NOT_FOR_SALE). */
  expire(at: number, subtype: string): SignedNotification {
    this.status = 2;
    this.autoRenewStatus = 0;
    this.billingRetry = false;
    this.expirationIntent =
      { VOLUNTARY: 1, BILLING_RETRY: 2, PRICE_INCREASE: 3, PRODUCT_NOT_FOR_SALE: 4 }[subtype] ?? 5;
    return this.notify('EXPIRED', subtype, at);
  }

  /** REFUND: Apple refunded the current transaction. */
  refund(at: number): SignedNotification {
    this.tx().revocationDate = at;
    this.status = 5;
    this.autoRenewStatus = 0;
    return this.notify('REFUND', undefined, at);
  }

  /** REFUND_REVERSED: the refund is reversed, the transaction is paid again. */
  refundReversed(at: number): SignedNotification {
    delete this.tx().revocationDate;
    this.status = 1;
    this.autoRenewStatus = 1;
    return this.notify('REFUND_REVERSED', undefined, at);
  }

  /** REVOKE: the family organizer stopped sharing. */
  revoke(at: number): SignedNotification {
    this.tx().revocationDate = at;
    this.status = 5;
    return this.notify('REVOKE', undefined, at);
  }

  /** SUBSCRIBED/RESUBSCRIBE: a new purchase after the subscription expired. */
  resubscribe(at: number, productId?: string): SignedNotification {
    if (productId) this.autoRenewProductId = productId;
    this.newTransaction(this.autoRenewProductId, at);
    this.clearBillingIssue();
    this.status = 1;
    this.autoRenewStatus = 1;
    return this.notify('SUBSCRIBED', 'RESUBSCRIBE', at);
  }

  /** A notification that leaves the state as is (TEST-like types with the current data). */
  informational(at: number, type: string, subtype?: string): SignedNotification {
    return this.notify(type, subtype, at);
  }

  private clearBillingIssue(): void {
    this.billingRetry = false;
    this.gracePeriodExpiresDate = undefined;
    this.expirationIntent = undefined;
  }
}
