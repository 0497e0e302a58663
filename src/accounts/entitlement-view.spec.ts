import {
  aSnapshot,
  aTrialSnapshot,
  day,
  SPEC_PLAN_LIMITS,
  aPolicy,
  stateOf,
} from '../entitlements/domain/testing/snapshot.builder';
import { deriveEntitlement } from '../entitlements/domain';
import { APP_STORE_SUBSCRIPTIONS_URL, entitlementView, manageLink } from './entitlement-view';

const usage = { completedJobs: 3, renderSpark: 12.5, resetsAt: day(2) };

describe('manageLink', () => {
  it.each([
    [
      'stripe',
      'unlimited_monthly',
      undefined,
      { kind: 'stripe_portal', url: '/v1/accounts/acc_1/portal-session', readOnly: false },
    ],
    [
      'apple',
      'unlimited.monthly',
      undefined,
      { kind: 'app_store', url: APP_STORE_SUBSCRIPTIONS_URL, readOnly: true },
    ],
    [
      'google',
      'unlimited_pro/annual',
      'com.example.app',
      {
        kind: 'google_play',
        url: 'https://play.google.com/store/account/subscriptions?sku=unlimited_pro&package=com.example.app',
        readOnly: true,
      },
    ],
    [
      'google',
      'unlimited/monthly',
      undefined,
      {
        kind: 'google_play',
        url: 'https://play.google.com/store/account/subscriptions?sku=unlimited',
        readOnly: true,
      },
    ],
  ] as const)('%s %s (package %s)', (store, productId, googlePackageName, expected) => {
    expect(manageLink(store, productId, 'acc_1', { googlePackageName })).toEqual(expected);
  });
});

describe('entitlementView', () => {
  it('renders the SPEC §8 body: ISO dates, manage link of the primary subscription, usage', () => {
    const web = stateOf(aSnapshot({ cancelAtPeriodEnd: true }));
    const entitlement = deriveEntitlement(
      [web],
      { id: 'acc_1', suspended: false },
      day(1),
      aPolicy(),
      SPEC_PLAN_LIMITS,
    );
    expect(entitlementView(entitlement, usage, { googlePackageName: undefined })).toEqual({
      accountId: 'acc_1',
      covered: true,
      reason: null,
      plan: 'unlimited',
      interval: 'month',
      state: 'active',
      provider: 'stripe',
      trialEndsAt: null,
      currentPeriodEnd: day(30).toISOString(),
      paidThrough: day(30).toISOString(),
      cancelAtPeriodEnd: true,
      pendingChange: null,
      manage: { kind: 'stripe_portal', url: '/v1/accounts/acc_1/portal-session', readOnly: false },
      limits: { image: 4, video: 1 },
      usageToday: { completedJobs: 3, renderSpark: 12.5, resetsAt: day(2).toISOString() },
      subscriptions: [
        {
          store: 'stripe',
          storeSubscriptionId: 'sub_1',
          state: 'active',
          covered: true,
          excluded: null,
          primary: true,
          plan: 'unlimited',
          interval: 'month',
          productId: 'unlimited_monthly',
          trialEndsAt: null,
          currentPeriodEnd: day(30).toISOString(),
          paidThrough: day(30).toISOString(),
          cancelAtPeriodEnd: true,
          pendingChange: null,
          sandbox: false,
          manage: {
            kind: 'stripe_portal',
            url: '/v1/accounts/acc_1/portal-session',
            readOnly: false,
          },
        },
      ],
      duplicateBilling: false,
    });
  });

  it('shows every subscription with its own manage link and flags duplicate billing', () => {
    const web = stateOf(aSnapshot());
    const ios = stateOf(
      aSnapshot({
        store: 'apple',
        storeSubscriptionId: '2000',
        plan: 'unlimited_pro',
        productId: 'unlimited_pro.monthly',
        pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
      }),
    );
    const view = entitlementView(
      deriveEntitlement(
        [web, ios],
        { id: 'acc_1', suspended: false },
        day(1),
        aPolicy(),
        SPEC_PLAN_LIMITS,
      ),
      usage,
      { googlePackageName: undefined },
    );
    expect(view).toMatchObject({
      plan: 'unlimited_pro',
      provider: 'apple',
      duplicateBilling: true,
      manage: { kind: 'app_store', readOnly: true },
      pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30).toISOString() },
      limits: { image: 16, video: 4 },
    });
    expect(view.subscriptions.map((s) => [s.store, s.primary, s.manage.kind])).toEqual([
      ['apple', true, 'app_store'],
      ['stripe', false, 'stripe_portal'],
    ]);
  });

  it('has no manage link without a subscription, and shows a trial end during a trial', () => {
    const none = entitlementView(
      deriveEntitlement([], { id: 'acc_0', suspended: false }, day(1), aPolicy(), SPEC_PLAN_LIMITS),
      usage,
      { googlePackageName: undefined },
    );
    expect(none).toMatchObject({
      covered: false,
      state: 'no_subscription',
      manage: null,
      subscriptions: [],
    });
    const trial = entitlementView(
      deriveEntitlement(
        [stateOf(aTrialSnapshot())],
        { id: 'acc_1', suspended: false },
        day(1),
        aPolicy(),
        SPEC_PLAN_LIMITS,
      ),
      usage,
      { googlePackageName: undefined },
    );
    expect(trial).toMatchObject({
      state: 'trial',
      covered: true,
      trialEndsAt: day(3).toISOString(),
    });
  });
});
