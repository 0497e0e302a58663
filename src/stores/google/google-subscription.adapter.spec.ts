import type { PrimaryState } from '../../entitlements/domain/subscription-snapshot';
import {
  SubscriptionStateName,
  subscriptionPurchase,
} from '../../../test/fakes/google/subscription-purchase.builder';
import { GoogleInboxFailure } from './google-errors';
import {
  GoogleAdapterError,
  GoogleProductResolver,
  SUBSCRIPTION_STATES,
  SubscriptionState,
  needsAcknowledgement,
  obfuscatedAccountId,
  primaryLineItem,
  toSubscriptionSnapshot,
} from './google-subscription.adapter';

/** SPEC §2 default Google products. */
const resolveProduct: GoogleProductResolver = (productId, basePlanId) => {
  const plan =
    productId === 'unlimited'
      ? 'unlimited'
      : productId === 'unlimited_pro'
        ? 'unlimited_pro'
        : null;
  const interval = basePlanId === 'monthly' ? 'month' : basePlanId === 'annual' ? 'year' : null;
  return plan && interval ? { plan, interval } : null;
};

const READ_AT = new Date('2026-02-10T12:00:00Z');
const EVENT_AT = new Date('2026-02-10T11:59:58Z');
const FUTURE = new Date('2026-03-01T00:00:00Z');
const PAST = new Date('2026-02-01T00:00:00Z');

function snapshotOf(
  spec: Parameters<typeof subscriptionPurchase>[0],
  extra: { revoked?: boolean; accountId?: string | null; sourceEvent?: string } = {},
) {
  return toSubscriptionSnapshot({
    purchaseToken: 'token-1',
    purchase: subscriptionPurchase(spec),
    accountId: extra.accountId ?? 'acc-1',
    readAt: READ_AT,
    eventTime: EVENT_AT,
    sourceEvent: extra.sourceEvent ?? 'SUBSCRIPTION_RENEWED',
    revoked: extra.revoked ?? false,
    resolveProduct,
  });
}

describe('toSubscriptionSnapshot: every subscriptionState', () => {
  // [state, expiry, free trial, expected status, cancelAtPeriodEnd, grace end]
  const table: [SubscriptionStateName, Date | null, boolean, PrimaryState, boolean, Date | null][] =
    [
      ['SUBSCRIPTION_STATE_PENDING', null, false, 'incomplete', false, null],
      ['SUBSCRIPTION_STATE_ACTIVE', FUTURE, false, 'active', false, null],
      ['SUBSCRIPTION_STATE_ACTIVE', FUTURE, true, 'trial', false, null],
      ['SUBSCRIPTION_STATE_PAUSED', PAST, false, 'paused', false, null],
      ['SUBSCRIPTION_STATE_IN_GRACE_PERIOD', FUTURE, false, 'past_due', false, FUTURE],
      ['SUBSCRIPTION_STATE_ON_HOLD', PAST, false, 'past_due', false, null],
      ['SUBSCRIPTION_STATE_CANCELED', FUTURE, false, 'active', true, null],
      ['SUBSCRIPTION_STATE_CANCELED', FUTURE, true, 'trial', true, null],
      ['SUBSCRIPTION_STATE_CANCELED', PAST, false, 'expired', false, null],
      ['SUBSCRIPTION_STATE_EXPIRED', PAST, false, 'expired', false, null],
      ['SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED', null, false, 'expired', false, null],
    ];

  it.each(table)(
    '%s (expiry %s, trial %s) → %s, cancelAtPeriodEnd %s',
    (state, expiry, trial, status, cancel, grace) => {
      const snap = snapshotOf({ state, expiryTime: expiry, freeTrial: trial });
      expect(snap).toMatchObject({
        status,
        cancelAtPeriodEnd: cancel,
        gracePeriodEnd: grace,
        currentPeriodEnd: expiry,
        trialEnd: trial ? expiry : null,
      });
    },
  );

  it('covers every documented state in the table or as an error', () => {
    const covered = new Set<SubscriptionState>([
      ...table.map((r) => r[0]),
      'SUBSCRIPTION_STATE_UNSPECIFIED',
    ]);
    expect([...covered].sort()).toEqual([...SUBSCRIPTION_STATES].sort());
  });

  it('fails SUBSCRIPTION_STATE_UNSPECIFIED and unknown states as unmappable content', () => {
    for (const state of ['SUBSCRIPTION_STATE_UNSPECIFIED', 'SUBSCRIPTION_STATE_SOMETHING_NEW']) {
      let caught: unknown;
      try {
        snapshotOf({ state: state as SubscriptionStateName, expiryTime: FUTURE });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(GoogleAdapterError);
      expect((caught as GoogleAdapterError).code).toBe(GoogleInboxFailure.UnknownSubscriptionState);
    }
  });
});

describe('toSubscriptionSnapshot: fields', () => {
  it('builds the full snapshot of a running subscription', () => {
    expect(
      snapshotOf(
        {
          state: 'SUBSCRIPTION_STATE_ACTIVE',
          productId: 'unlimited_pro',
          basePlanId: 'annual',
          expiryTime: FUTURE,
        },
        { accountId: 'acc-9', sourceEvent: 'SUBSCRIPTION_PURCHASED' },
      ),
    ).toEqual({
      store: 'google',
      storeSubscriptionId: 'token-1',
      accountId: 'acc-9',
      observedAt: READ_AT,
      status: 'active',
      plan: 'unlimited_pro',
      interval: 'year',
      productId: 'unlimited_pro/annual',
      currentPeriodStart: null,
      currentPeriodEnd: FUTURE,
      trialEnd: null,
      cancelAtPeriodEnd: false,
      pendingChange: null,
      gracePeriodEnd: null,
      sandbox: false,
      revokedThrough: null,
      supersedes: null,
      sourceEvent: 'SUBSCRIPTION_PURCHASED',
    });
  });

  it('keeps an unknown product with no plan (grants nothing)', () => {
    const snap = snapshotOf({
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'mystery',
      expiryTime: FUTURE,
    });
    expect(snap).toMatchObject({
      plan: null,
      interval: null,
      productId: 'mystery/monthly',
      status: 'active',
    });
  });

  it('marks license-tester purchases as sandbox', () => {
    expect(
      snapshotOf({ state: 'SUBSCRIPTION_STATE_ACTIVE', expiryTime: FUTURE, testPurchase: true })
        .sandbox,
    ).toBe(true);
  });

  it('names the replaced token as superseded', () => {
    const snap = snapshotOf({
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: FUTURE,
      linkedPurchaseToken: 'old-token',
    });
    expect(snap.supersedes).toBe('old-token');
  });

  it('reads a deferred downgrade as a pending change effective at expiry', () => {
    const snap = snapshotOf({
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      expiryTime: FUTURE,
      deferredReplacementProductId: 'unlimited',
    });
    expect(snap).toMatchObject({
      plan: 'unlimited_pro',
      pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: FUTURE },
    });
  });

  it.each([
    ['to an unknown product', 'unknown_product', 'SUBSCRIPTION_STATE_ACTIVE'],
    ['to the same product', 'unlimited_pro', 'SUBSCRIPTION_STATE_ACTIVE'],
    ['on a canceled subscription', 'unlimited', 'SUBSCRIPTION_STATE_CANCELED'],
  ] as const)('ignores a deferred replacement %s', (_label, next, state) => {
    const snap = snapshotOf({
      state,
      productId: 'unlimited_pro',
      expiryTime: FUTURE,
      deferredReplacementProductId: next,
    });
    expect(snap.pendingChange).toBeNull();
  });

  it('flags an active subscription whose auto-renew is off as canceling', () => {
    const snap = snapshotOf({
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: FUTURE,
      autoRenewEnabled: false,
    });
    expect(snap.cancelAtPeriodEnd).toBe(true);
  });

  it('marks a revoked purchase revoked through its last instant, whatever the state says', () => {
    const revokedAt = new Date('2026-02-10T11:59:00Z');
    const snap = snapshotOf(
      { state: 'SUBSCRIPTION_STATE_EXPIRED', expiryTime: revokedAt, canceledBy: 'developer' },
      { revoked: true, sourceEvent: 'SUBSCRIPTION_REVOKED' },
    );
    expect(snap).toMatchObject({
      status: 'revoked',
      revokedThrough: EVENT_AT,
      cancelAtPeriodEnd: false,
      pendingChange: null,
      sourceEvent: 'SUBSCRIPTION_REVOKED',
    });
    const voided = snapshotOf(
      { state: 'SUBSCRIPTION_STATE_ACTIVE', expiryTime: FUTURE },
      { revoked: true },
    );
    expect(voided).toMatchObject({ status: 'revoked', revokedThrough: FUTURE });
  });

  it('refuses a resource without line items', () => {
    const purchase = subscriptionPurchase({
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: FUTURE,
    });
    purchase.lineItems = [];
    expect(() =>
      toSubscriptionSnapshot({
        purchaseToken: 't',
        purchase,
        accountId: null,
        readAt: READ_AT,
        eventTime: EVENT_AT,
        sourceEvent: 'x',
        revoked: false,
        resolveProduct,
      }),
    ).toThrow(GoogleAdapterError);
  });
});

describe('primaryLineItem', () => {
  it('prefers an item that maps to a plan, then the longest running', () => {
    const purchase = subscriptionPurchase({
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: FUTURE,
    });
    const base = purchase.lineItems![0];
    purchase.lineItems = [
      { ...base, productId: 'addon', expiryTime: '2027-01-01T00:00:00Z' },
      { ...base, productId: 'unlimited', expiryTime: '2026-02-20T00:00:00Z' },
      { ...base, productId: 'unlimited_pro', expiryTime: '2026-02-25T00:00:00Z' },
    ];
    expect(primaryLineItem(purchase, resolveProduct)?.productId).toBe('unlimited_pro');
  });
});

describe('needsAcknowledgement', () => {
  const table: [SubscriptionStateName, boolean][] = [
    ['SUBSCRIPTION_STATE_UNSPECIFIED', false],
    ['SUBSCRIPTION_STATE_PENDING', false],
    ['SUBSCRIPTION_STATE_ACTIVE', true],
    ['SUBSCRIPTION_STATE_PAUSED', true],
    ['SUBSCRIPTION_STATE_IN_GRACE_PERIOD', true],
    ['SUBSCRIPTION_STATE_ON_HOLD', true],
    ['SUBSCRIPTION_STATE_CANCELED', true],
    ['SUBSCRIPTION_STATE_EXPIRED', false],
    ['SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED', false],
  ];

  it.each(table)('a pending acknowledgement in %s → %s', (state, expected) => {
    expect(needsAcknowledgement(subscriptionPurchase({ state, expiryTime: FUTURE }))).toBe(
      expected,
    );
  });

  it('is false once acknowledged', () => {
    expect(
      needsAcknowledgement(
        subscriptionPurchase({
          state: 'SUBSCRIPTION_STATE_ACTIVE',
          expiryTime: FUTURE,
          acknowledged: true,
        }),
      ),
    ).toBe(false);
  });
});

describe('obfuscatedAccountId', () => {
  it('reads externalAccountIdentifiers.obfuscatedExternalAccountId', () => {
    expect(
      obfuscatedAccountId(
        subscriptionPurchase({ state: 'SUBSCRIPTION_STATE_ACTIVE', obfuscatedAccountId: 'g_abc' }),
      ),
    ).toBe('g_abc');
    expect(
      obfuscatedAccountId(subscriptionPurchase({ state: 'SUBSCRIPTION_STATE_ACTIVE' })),
    ).toBeNull();
  });
});
