import { NotificationTypeV2, Subtype } from '@apple/app-store-server-library';
import type {
  JWSRenewalInfoDecodedPayload,
  JWSTransactionDecodedPayload,
} from '@apple/app-store-server-library';
import {
  buildNotificationPayload,
  buildRenewalInfo,
  buildSummaryPayload,
  buildTransaction,
  DAY_MS,
} from '../../../test/fakes/apple/apple-notification.builder';
import type { PrimaryState } from '../../entitlements/domain/subscription-snapshot';
import {
  adaptAppleNotification,
  appAccountTokenOf,
  type AppleAdapterResult,
  type ProductPlan,
  type ResolveProduct,
} from './apple-notification.adapter';
import type { VerifiedAppleNotification } from './apple-notification.types';

const PRODUCTS: Record<string, ProductPlan> = {
  'unlimited.monthly': { plan: 'unlimited', interval: 'month' },
  'unlimited.annual': { plan: 'unlimited', interval: 'year' },
  'unlimited_pro.monthly': { plan: 'unlimited_pro', interval: 'month' },
  'unlimited_pro.annual': { plan: 'unlimited_pro', interval: 'year' },
};
const resolveProduct: ResolveProduct = (id) => PRODUCTS[id] ?? null;

const SIGNED = Date.UTC(2026, 2, 10, 12, 0, 0);
const PURCHASED = SIGNED - 2 * DAY_MS;
const EXPIRES = PURCHASED + 30 * DAY_MS;
const ORIGINAL_ID = '2000000812345678';
const TOKEN = '7e3fb20b-4cdb-47cc-936d-99d65f608138';
const ACCOUNT = 'acc_01';

type TxOverrides = Partial<JWSTransactionDecodedPayload>;
type RenewalOverrides = Partial<JWSRenewalInfoDecodedPayload>;

function verified(spec: {
  type: string;
  subtype?: string;
  status?: number;
  tx?: TxOverrides | null;
  renewal?: RenewalOverrides | null;
  environment?: 'Production' | 'Sandbox';
}): VerifiedAppleNotification {
  const environment = spec.environment ?? 'Production';
  const transaction =
    spec.tx === null
      ? null
      : buildTransaction(
          {
            originalTransactionId: ORIGINAL_ID,
            productId: 'unlimited.monthly',
            purchaseDate: PURCHASED,
            expiresDate: EXPIRES,
            signedDate: SIGNED,
            appAccountToken: TOKEN,
            ...spec.tx,
          },
          undefined,
          environment,
        );
  const renewalInfo =
    spec.renewal === null || transaction === null
      ? null
      : buildRenewalInfo(
          {
            originalTransactionId: ORIGINAL_ID,
            productId: transaction.productId!,
            signedDate: SIGNED,
            renewalDate: transaction.expiresDate,
            appAccountToken: TOKEN,
            ...spec.renewal,
          },
          environment,
        );
  const payload = buildNotificationPayload({
    notificationType: spec.type,
    subtype: spec.subtype,
    signedDate: SIGNED,
    environment,
    signedTransactionInfo: transaction ? 'signed.transaction.jws' : undefined,
    signedRenewalInfo: renewalInfo ? 'signed.renewal.jws' : undefined,
    status: spec.status,
  });
  return {
    environment,
    notification: {
      ...payload,
      notificationType: spec.type,
      notificationUUID: payload.notificationUUID!,
      signedDate: SIGNED,
    },
    transaction,
    renewalInfo,
  };
}

function adapt(
  v: VerifiedAppleNotification,
  accountId: string | null = ACCOUNT,
): AppleAdapterResult {
  return adaptAppleNotification(v, { accountId, resolveProduct });
}

function snapshotOf(result: AppleAdapterResult) {
  if (result.kind !== 'snapshot')
    throw new Error(`expected a snapshot, got ${JSON.stringify(result)}`);
  return result.snapshot;
}

const FREE_TRIAL: TxOverrides = {
  offerType: 1,
  offerDiscountType: 'FREE_TRIAL',
  offerPeriod: 'P3D',
  price: 0,
  expiresDate: PURCHASED + 3 * DAY_MS,
};
const RETRY: RenewalOverrides = { isInBillingRetryPeriod: true, expirationIntent: 2 };
const GRACE_END = EXPIRES + 16 * DAY_MS;

interface Row {
  type: string;
  subtype?: string;
  status?: number;
  tx?: TxOverrides;
  renewal?: RenewalOverrides;
  /** Expected primary state, or 'ignored'. */
  expect: PrimaryState | 'ignored';
  cancelAtPeriodEnd?: boolean;
  pendingPlan?: string;
  plan?: string;
  trial?: boolean;
  /** Expected gracePeriodEnd (ms). */
  grace?: number;
  /** Use a summary payload (no data). */
  summary?: boolean;
}

/** Every notification type and subtype the App Store sends, and what it maps to. */
const TABLE: Row[] = [
  {
    type: 'SUBSCRIBED',
    subtype: 'INITIAL_BUY',
    status: 1,
    tx: FREE_TRIAL,
    expect: 'trial',
    trial: true,
  },
  { type: 'SUBSCRIBED', subtype: 'INITIAL_BUY', status: 1, expect: 'active', plan: 'unlimited' },
  {
    type: 'SUBSCRIBED',
    subtype: 'RESUBSCRIBE',
    status: 1,
    tx: { productId: 'unlimited_pro.annual', expiresDate: PURCHASED + 365 * DAY_MS },
    expect: 'active',
    plan: 'unlimited_pro',
  },
  { type: 'DID_RENEW', status: 1, tx: { transactionReason: 'RENEWAL' }, expect: 'active' },
  { type: 'DID_RENEW', subtype: 'BILLING_RECOVERY', status: 1, expect: 'active' },
  { type: 'DID_FAIL_TO_RENEW', status: 3, renewal: RETRY, expect: 'past_due' },
  {
    type: 'DID_FAIL_TO_RENEW',
    subtype: 'GRACE_PERIOD',
    status: 4,
    renewal: { ...RETRY, gracePeriodExpiresDate: GRACE_END },
    expect: 'past_due',
    grace: GRACE_END,
  },
  {
    type: 'GRACE_PERIOD_EXPIRED',
    status: 3,
    renewal: { ...RETRY, gracePeriodExpiresDate: SIGNED - 1000 },
    expect: 'past_due',
    grace: SIGNED - 1000,
  },
  {
    type: 'EXPIRED',
    subtype: 'VOLUNTARY',
    status: 2,
    renewal: { autoRenewStatus: 0, expirationIntent: 1 },
    expect: 'expired',
  },
  {
    type: 'EXPIRED',
    subtype: 'BILLING_RETRY',
    status: 2,
    renewal: { autoRenewStatus: 0, expirationIntent: 2 },
    expect: 'expired',
  },
  {
    type: 'EXPIRED',
    subtype: 'PRICE_INCREASE',
    status: 2,
    renewal: { autoRenewStatus: 0, expirationIntent: 3 },
    expect: 'expired',
  },
  {
    type: 'EXPIRED',
    subtype: 'PRODUCT_NOT_FOR_SALE',
    status: 2,
    renewal: { autoRenewStatus: 0, expirationIntent: 4 },
    expect: 'expired',
  },
  {
    type: 'DID_CHANGE_RENEWAL_PREF',
    subtype: 'UPGRADE',
    status: 1,
    tx: {
      productId: 'unlimited_pro.monthly',
      purchaseDate: SIGNED,
      expiresDate: SIGNED + 30 * DAY_MS,
    },
    expect: 'active',
    plan: 'unlimited_pro',
  },
  {
    type: 'DID_CHANGE_RENEWAL_PREF',
    subtype: 'DOWNGRADE',
    status: 1,
    tx: { productId: 'unlimited_pro.monthly' },
    renewal: { autoRenewProductId: 'unlimited.monthly' },
    expect: 'active',
    plan: 'unlimited_pro',
    pendingPlan: 'unlimited',
  },
  {
    type: 'DID_CHANGE_RENEWAL_PREF',
    status: 1,
    tx: { productId: 'unlimited_pro.monthly' },
    renewal: { autoRenewProductId: 'unlimited_pro.monthly' },
    expect: 'active',
    plan: 'unlimited_pro',
  },
  {
    type: 'DID_CHANGE_RENEWAL_STATUS',
    subtype: 'AUTO_RENEW_DISABLED',
    status: 1,
    renewal: { autoRenewStatus: 0 },
    expect: 'active',
    cancelAtPeriodEnd: true,
  },
  {
    type: 'DID_CHANGE_RENEWAL_STATUS',
    subtype: 'AUTO_RENEW_ENABLED',
    status: 1,
    renewal: { autoRenewStatus: 1 },
    expect: 'active',
  },
  {
    type: 'REFUND',
    status: 5,
    tx: { revocationDate: SIGNED - 60_000, revocationReason: 0, revocationType: 'REFUND_FULL' },
    renewal: { autoRenewStatus: 0 },
    expect: 'revoked',
  },
  { type: 'REFUND_REVERSED', status: 1, expect: 'active' },
  {
    type: 'REVOKE',
    status: 5,
    tx: {
      inAppOwnershipType: 'FAMILY_SHARED',
      revocationDate: SIGNED - 60_000,
      revocationType: 'FAMILY_REVOKE',
    },
    expect: 'revoked',
  },
  {
    type: 'OFFER_REDEEMED',
    status: 1,
    tx: {
      offerType: 3,
      offerDiscountType: 'FREE_TRIAL',
      offerIdentifier: 'WELCOME3',
      expiresDate: PURCHASED + 3 * DAY_MS,
    },
    expect: 'trial',
    trial: true,
  },
  {
    type: 'OFFER_REDEEMED',
    subtype: 'UPGRADE',
    status: 1,
    tx: {
      productId: 'unlimited_pro.monthly',
      offerType: 2,
      offerDiscountType: 'PAY_AS_YOU_GO',
      offerIdentifier: 'PRO50',
    },
    expect: 'active',
    plan: 'unlimited_pro',
  },
  {
    type: 'OFFER_REDEEMED',
    subtype: 'DOWNGRADE',
    status: 1,
    tx: { productId: 'unlimited_pro.monthly' },
    renewal: { autoRenewProductId: 'unlimited.monthly', offerType: 2, offerIdentifier: 'STAY50' },
    expect: 'active',
    pendingPlan: 'unlimited',
  },
  {
    type: 'RENEWAL_EXTENDED',
    status: 1,
    tx: { expiresDate: EXPIRES + 7 * DAY_MS },
    expect: 'active',
  },
  { type: 'TEST', expect: 'ignored' },
  { type: 'CONSUMPTION_REQUEST', status: 1, expect: 'ignored' },
  { type: 'PRICE_INCREASE', subtype: 'PENDING', status: 1, expect: 'ignored' },
  { type: 'PRICE_INCREASE', subtype: 'ACCEPTED', status: 1, expect: 'ignored' },
  { type: 'REFUND_DECLINED', status: 1, expect: 'ignored' },
  { type: 'ONE_TIME_CHARGE', tx: { type: 'Consumable' }, expect: 'ignored' },
  { type: 'RENEWAL_EXTENSION', subtype: 'SUMMARY', summary: true, expect: 'ignored' },
  { type: 'RENEWAL_EXTENSION', subtype: 'FAILURE', status: 1, expect: 'ignored' },
  { type: 'EXTERNAL_PURCHASE_TOKEN', subtype: 'UNREPORTED', expect: 'ignored' },
  { type: 'RESCIND_CONSENT', expect: 'ignored' },
  { type: 'METADATA_UPDATE', expect: 'ignored' },
  { type: 'MIGRATION', expect: 'ignored' },
  { type: 'PRICE_CHANGE', expect: 'ignored' },
  { type: 'SOMETHING_APPLE_ADDS_LATER', subtype: 'NEW_SUBTYPE', status: 1, expect: 'ignored' },
];

function rowInput(row: Row): VerifiedAppleNotification {
  if (!row.summary) {
    return verified({
      type: row.type,
      subtype: row.subtype,
      status: row.status,
      tx: row.tx,
      renewal: row.renewal,
    });
  }
  const payload = buildSummaryPayload({ signedDate: SIGNED });
  return {
    environment: 'Production',
    notification: {
      ...payload,
      notificationType: payload.notificationType!,
      notificationUUID: payload.notificationUUID!,
      signedDate: SIGNED,
    },
    transaction: null,
    renewalInfo: null,
  };
}

describe('adaptAppleNotification: every type and subtype', () => {
  it.each(TABLE.map((row) => [`${row.type}${row.subtype ? `/${row.subtype}` : ''}`, row] as const))(
    '%s',
    (name, row) => {
      const result = adapt(rowInput(row));
      if (row.expect === 'ignored') {
        expect(result.kind).toBe('ignored');
        return;
      }
      const snapshot = snapshotOf(result);
      expect(snapshot.status).toBe(row.expect);
      expect(snapshot.sourceEvent).toBe(name);
      expect(snapshot.cancelAtPeriodEnd).toBe(row.cancelAtPeriodEnd ?? false);
      expect(snapshot.pendingChange?.plan ?? null).toBe(row.pendingPlan ?? null);
      if (row.plan) expect(snapshot.plan).toBe(row.plan);
      expect(snapshot.trialEnd !== null).toBe(row.trial ?? false);
      expect(snapshot.gracePeriodEnd?.getTime() ?? null).toBe(row.grace ?? null);
    },
  );

  it('lists every notification type of the library', () => {
    const covered = new Set(TABLE.map((r) => r.type));
    expect(Object.values(NotificationTypeV2).filter((t) => !covered.has(t))).toEqual([]);
  });

  it('lists every subtype of the library', () => {
    const covered = new Set(TABLE.map((r) => r.subtype).filter((s) => s !== undefined));
    expect(Object.values(Subtype).filter((s) => !covered.has(s))).toEqual([]);
  });
});

describe('adaptAppleNotification: snapshot fields', () => {
  it('keys the snapshot by originalTransactionId and orders it by the notification signedDate', () => {
    const snapshot = snapshotOf(adapt(verified({ type: 'DID_RENEW', status: 1 })));
    expect(snapshot).toMatchObject({
      store: 'apple',
      storeSubscriptionId: ORIGINAL_ID,
      accountId: ACCOUNT,
      productId: 'unlimited.monthly',
      plan: 'unlimited',
      interval: 'month',
      sandbox: false,
      revokedThrough: null,
      supersedes: null,
    });
    expect(snapshot.observedAt.getTime()).toBe(SIGNED);
    expect(snapshot.currentPeriodStart?.getTime()).toBe(PURCHASED);
    expect(snapshot.currentPeriodEnd?.getTime()).toBe(EXPIRES);
  });

  it('keeps an unlinked purchase unlinked', () => {
    expect(
      snapshotOf(adapt(verified({ type: 'DID_RENEW', status: 1 }), null)).accountId,
    ).toBeNull();
  });

  it('marks Sandbox purchases', () => {
    const snapshot = snapshotOf(
      adapt(verified({ type: 'DID_RENEW', status: 1, environment: 'Sandbox' })),
    );
    expect(snapshot.sandbox).toBe(true);
  });

  it('schedules a downgrade at expiresDate with the renewal product plan and interval', () => {
    const snapshot = snapshotOf(
      adapt(
        verified({
          type: 'DID_CHANGE_RENEWAL_PREF',
          subtype: 'DOWNGRADE',
          status: 1,
          tx: { productId: 'unlimited_pro.annual' },
          renewal: { autoRenewProductId: 'unlimited.monthly' },
        }),
      ),
    );
    expect(snapshot.plan).toBe('unlimited_pro');
    expect(snapshot.pendingChange).toEqual({
      plan: 'unlimited',
      interval: 'month',
      effectiveAt: new Date(EXPIRES),
    });
  });

  it('drops a scheduled change when auto-renew is off (nothing will renew)', () => {
    const snapshot = snapshotOf(
      adapt(
        verified({
          type: 'DID_CHANGE_RENEWAL_STATUS',
          subtype: 'AUTO_RENEW_DISABLED',
          status: 1,
          tx: { productId: 'unlimited_pro.monthly' },
          renewal: { autoRenewStatus: 0, autoRenewProductId: 'unlimited.monthly' },
        }),
      ),
    );
    expect(snapshot.cancelAtPeriodEnd).toBe(true);
    expect(snapshot.pendingChange).toBeNull();
  });

  it('does not schedule a change into a product the service does not sell', () => {
    const snapshot = snapshotOf(
      adapt(
        verified({
          type: 'DID_CHANGE_RENEWAL_PREF',
          subtype: 'DOWNGRADE',
          status: 1,
          renewal: { autoRenewProductId: 'legacy.basic' },
        }),
      ),
    );
    expect(snapshot.pendingChange).toBeNull();
  });

  it('reports an unknown product with no plan (grants nothing) but keeps its id', () => {
    const snapshot = snapshotOf(
      adapt(verified({ type: 'DID_RENEW', status: 1, tx: { productId: 'legacy.basic' } })),
    );
    expect(snapshot.plan).toBeNull();
    expect(snapshot.interval).toBeNull();
    expect(snapshot.productId).toBe('legacy.basic');
  });

  it('never sets cancelAtPeriodEnd outside a live period', () => {
    const snapshot = snapshotOf(
      adapt(
        verified({
          type: 'EXPIRED',
          subtype: 'VOLUNTARY',
          status: 2,
          renewal: { autoRenewStatus: 0 },
        }),
      ),
    );
    expect(snapshot.cancelAtPeriodEnd).toBe(false);
  });

  it('reads a zero-price introductory offer without offerDiscountType as a trial', () => {
    const snapshot = snapshotOf(
      adapt(
        verified({
          type: 'SUBSCRIBED',
          subtype: 'INITIAL_BUY',
          status: 1,
          tx: { offerType: 1, price: 0 },
        }),
      ),
    );
    expect(snapshot.status).toBe('trial');
  });

  it('treats a paid introductory offer as active, not trial', () => {
    const snapshot = snapshotOf(
      adapt(
        verified({
          type: 'SUBSCRIBED',
          subtype: 'INITIAL_BUY',
          status: 1,
          tx: { offerType: 1, offerDiscountType: 'PAY_UP_FRONT', price: 4990 },
        }),
      ),
    );
    expect(snapshot.status).toBe('active');
    expect(snapshot.trialEnd).toBeNull();
  });

  it('ends a family-shared purchase with REVOKE like any other', () => {
    const snapshot = snapshotOf(
      adapt(
        verified({
          type: 'REVOKE',
          status: 5,
          tx: {
            inAppOwnershipType: 'FAMILY_SHARED',
            revocationDate: SIGNED - 1,
            appAccountToken: undefined,
          },
          renewal: { appAccountToken: undefined },
        }),
        null,
      ),
    );
    expect(snapshot.status).toBe('revoked');
    expect(snapshot.accountId).toBeNull();
  });
});

describe('adaptAppleNotification: status read from the signed data', () => {
  const cases: Array<[string, TxOverrides, RenewalOverrides, PrimaryState]> = [
    ['a running period', {}, {}, 'active'],
    ['a free trial', FREE_TRIAL, {}, 'trial'],
    ['a revocation', { revocationDate: SIGNED - 1 }, {}, 'revoked'],
    ['billing retry', { expiresDate: SIGNED - DAY_MS }, RETRY, 'past_due'],
    [
      'grace period',
      { expiresDate: SIGNED - DAY_MS },
      { ...RETRY, gracePeriodExpiresDate: SIGNED + DAY_MS },
      'past_due',
    ],
    ['a period that ended', { expiresDate: SIGNED - DAY_MS }, { autoRenewStatus: 0 }, 'expired'],
  ];
  it.each(cases)('infers %s when data.status is absent', (_name, tx, renewal, state) => {
    expect(snapshotOf(adapt(verified({ type: 'DID_RENEW', tx, renewal }))).status).toBe(state);
  });

  it('trusts data.status over the notification type', () => {
    // A DID_RENEW signed while the subscription is already in billing retry reads as past_due.
    expect(
      snapshotOf(adapt(verified({ type: 'DID_RENEW', status: 3, renewal: RETRY }))).status,
    ).toBe('past_due');
  });
});

describe('adaptAppleNotification: unusable content', () => {
  it('rejects a state-changing notification without a transaction (permanent)', () => {
    const result = adapt(verified({ type: 'DID_RENEW', status: 1, tx: null }));
    expect(result).toMatchObject({ kind: 'invalid', code: 'apple_transaction_missing' });
  });

  it('rejects renewal info of another subscription', () => {
    const result = adapt(
      verified({
        type: 'DID_RENEW',
        status: 1,
        renewal: { originalTransactionId: '2000000999999999' },
      }),
    );
    expect(result).toMatchObject({ kind: 'invalid', code: 'apple_renewal_info_mismatch' });
  });

  it('rejects an unknown data.status', () => {
    expect(adapt(verified({ type: 'DID_RENEW', status: 9 }))).toMatchObject({
      kind: 'invalid',
      code: 'apple_unknown_status',
    });
  });

  it('rejects a transaction without originalTransactionId', () => {
    expect(
      adapt(verified({ type: 'DID_RENEW', status: 1, tx: { originalTransactionId: '' } })),
    ).toMatchObject({
      kind: 'invalid',
      code: 'apple_transaction_incomplete',
    });
  });

  it('ignores a refund of an earlier transaction while the subscription stays active', () => {
    const result = adapt(
      verified({ type: 'REFUND', status: 1, tx: { revocationDate: SIGNED - 1 } }),
    );
    expect(result.kind).toBe('ignored');
  });

  it('ignores purchases that are not auto-renewable subscriptions', () => {
    const result = adapt(
      verified({
        type: 'REFUND',
        status: 5,
        tx: { type: 'Non-Consumable', revocationDate: SIGNED - 1 },
      }),
    );
    expect(result.kind).toBe('ignored');
  });
});

describe('appAccountTokenOf', () => {
  it('reads the transaction token, else the renewal info token, else null', () => {
    expect(appAccountTokenOf(verified({ type: 'DID_RENEW', status: 1 }))).toBe(TOKEN);
    expect(
      appAccountTokenOf(
        verified({ type: 'DID_RENEW', status: 1, tx: { appAccountToken: undefined } }),
      ),
    ).toBe(TOKEN);
    expect(
      appAccountTokenOf(
        verified({
          type: 'DID_RENEW',
          status: 1,
          tx: { appAccountToken: undefined },
          renewal: { appAccountToken: undefined },
        }),
      ),
    ).toBeNull();
  });
});
