import {
  deriveEntitlement,
  type AccountEntitlement,
  type NotCoveredReason,
} from './derive-entitlement';
import type { EntitlementPolicy } from './entitlement-policy';
import type { PrimaryState, SubscriptionSnapshot } from './subscription-snapshot';
import type { SubscriptionState } from './subscription-state';
import {
  DAY,
  HOUR,
  SPEC_PLAN_LIMITS,
  aPolicy,
  aSnapshot,
  aTrialSnapshot,
  day,
  shift,
  stateOf,
} from './testing/snapshot.builder';

const account = { id: 'acc_1', suspended: false };

function derive(
  states: SubscriptionState[],
  now: Date,
  options: { suspended?: boolean; policy?: Partial<EntitlementPolicy> } = {},
): AccountEntitlement {
  return deriveEntitlement(
    states,
    { ...account, suspended: options.suspended ?? false },
    now,
    aPolicy(options.policy),
    SPEC_PLAN_LIMITS,
  );
}

const pro = { plan: 'unlimited_pro', productId: 'unlimited_pro_monthly' } as const;
const apple = (overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot =>
  aSnapshot({ store: 'apple', storeSubscriptionId: '2000000000000001', ...overrides });

describe('deriveEntitlement: one subscription', () => {
  it('no subscription: not covered, reason no_subscription, no limits', () => {
    expect(derive([], day(1))).toMatchObject({
      accountId: 'acc_1',
      covered: false,
      reason: 'no_subscription',
      state: 'no_subscription',
      subscriptionState: null,
      plan: null,
      provider: null,
      limits: { image: 0, video: 0 },
      isTrial: false,
      subscriptions: [],
      duplicateBilling: false,
    });
  });

  it('a subscription linked to another account does not count', () => {
    const entitlement = derive([stateOf(aSnapshot({ accountId: 'acc_2' }))], day(1));
    expect(entitlement).toMatchObject({
      covered: false,
      reason: 'no_subscription',
      subscriptions: [],
    });
  });

  it('an unlinked purchase does not count', () => {
    expect(derive([stateOf(aSnapshot({ accountId: null }))], day(1)).covered).toBe(false);
  });

  it('active Unlimited: covered with the Unlimited limits (4 image, 1 video)', () => {
    expect(derive([stateOf(aSnapshot())], day(1))).toEqual({
      accountId: 'acc_1',
      evaluatedAt: day(1),
      covered: true,
      reason: null,
      state: 'active',
      subscriptionState: 'active',
      plan: 'unlimited',
      interval: 'month',
      provider: 'stripe',
      storeSubscriptionId: 'sub_1',
      trialEndsAt: null,
      currentPeriodEnd: day(30),
      paidThrough: day(30),
      cancelAtPeriodEnd: false,
      pendingChange: null,
      limits: { image: 4, video: 1 },
      isTrial: false,
      subscriptions: [
        {
          store: 'stripe',
          storeSubscriptionId: 'sub_1',
          state: 'active',
          storeStatus: 'active',
          covered: true,
          excluded: null,
          plan: 'unlimited',
          interval: 'month',
          productId: 'unlimited_monthly',
          trialEndsAt: null,
          currentPeriodEnd: day(30),
          paidThrough: day(30),
          cancelAtPeriodEnd: false,
          pendingChange: null,
          sandbox: false,
          primary: true,
        },
      ],
      duplicateBilling: false,
      nextChangeAt: shift(day(30), HOUR),
    });
  });

  it('active Unlimited Pro: the Pro limits (16 image, 4 video)', () => {
    expect(derive([stateOf(aSnapshot(pro))], day(1)).limits).toEqual({ image: 16, video: 4 });
  });

  it('trial: covered as a trial, with its end and no paid-through date', () => {
    expect(derive([stateOf(aTrialSnapshot())], day(1))).toMatchObject({
      covered: true,
      state: 'trial',
      isTrial: true,
      trialEndsAt: day(3),
      paidThrough: null,
      limits: { image: 4, video: 1 },
    });
  });

  const notCovered: [PrimaryState, NotCoveredReason][] = [
    ['past_due', 'past_due'],
    ['paused', 'paused'],
    ['expired', 'expired'],
    ['revoked', 'revoked'],
    ['incomplete', 'incomplete'],
  ];
  it.each(notCovered)('%s: not covered, reason %s, no limits', (status, reason) => {
    expect(derive([stateOf(aSnapshot({ status }))], day(1))).toMatchObject({
      covered: false,
      reason,
      state: status,
      plan: 'unlimited',
      limits: { image: 0, video: 0 },
      paidThrough: null,
    });
  });

  it('past_due is covered when the operator allows it (reason null, full limits)', () => {
    const entitlement = derive(
      [stateOf(aSnapshot({ status: 'past_due', gracePeriodEnd: day(40) }))],
      day(35),
      {
        policy: { pastDueCovered: true },
      },
    );
    expect(entitlement).toMatchObject({
      covered: true,
      reason: null,
      state: 'past_due',
      limits: { image: 4, video: 1 },
    });
  });

  it('a period that ended with no renewal: expired (time decides)', () => {
    expect(derive([stateOf(aSnapshot())], shift(day(30), HOUR))).toMatchObject({
      covered: false,
      reason: 'expired',
      state: 'expired',
      paidThrough: null,
      nextChangeAt: null,
    });
  });

  it('canceled: covered until the period end with cancelAtPeriodEnd and the paid-through date', () => {
    const state = stateOf(aSnapshot({ cancelAtPeriodEnd: true }));
    expect(derive([state], day(29))).toMatchObject({
      covered: true,
      cancelAtPeriodEnd: true,
      paidThrough: day(30),
    });
    expect(derive([state], shift(day(30), HOUR))).toMatchObject({
      covered: false,
      reason: 'expired',
      cancelAtPeriodEnd: false,
    });
  });

  it('canceling during a trial ends access immediately', () => {
    expect(derive([stateOf(aTrialSnapshot({ cancelAtPeriodEnd: true }))], day(1))).toMatchObject({
      covered: false,
      reason: 'expired',
      isTrial: false,
      trialEndsAt: null,
    });
  });

  it('a pending downgrade never lowers limits before effectiveAt, and applies at it', () => {
    const state = stateOf(
      aSnapshot({
        ...pro,
        pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
      }),
    );
    expect(derive([state], shift(day(30), -1))).toMatchObject({
      plan: 'unlimited_pro',
      limits: { image: 16, video: 4 },
      pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
      nextChangeAt: day(30),
    });
    expect(derive([state], day(30))).toMatchObject({
      covered: true,
      plan: 'unlimited',
      limits: { image: 4, video: 1 },
      pendingChange: null,
    });
  });

  it('an upgrade takes effect as soon as the store confirms it', () => {
    const state = stateOf(aSnapshot(), aSnapshot({ observedAt: day(5), ...pro }));
    expect(derive([state], day(5))).toMatchObject({
      plan: 'unlimited_pro',
      limits: { image: 16, video: 4 },
    });
  });

  it('resubscribing after expiry starts a new paid period, not a trial', () => {
    const state = stateOf(
      aTrialSnapshot(),
      aSnapshot({ observedAt: day(3), status: 'expired', trialEnd: day(3) }),
      aSnapshot({
        observedAt: day(50),
        currentPeriodStart: day(50),
        currentPeriodEnd: day(80),
        trialEnd: day(3),
      }),
    );
    expect(derive([state], day(51))).toMatchObject({
      covered: true,
      state: 'active',
      isTrial: false,
      trialEndsAt: null,
    });
    expect(state.hadTrial).toBe(true);
  });

  it('a suspended account is not covered, but still shows its subscription', () => {
    expect(derive([stateOf(aSnapshot(pro))], day(1), { suspended: true })).toMatchObject({
      covered: false,
      reason: 'suspended',
      state: 'suspended',
      subscriptionState: 'active',
      plan: 'unlimited_pro',
      limits: { image: 0, video: 0 },
      isTrial: false,
      nextChangeAt: null,
    });
    expect(derive([], day(1), { suspended: true })).toMatchObject({
      covered: false,
      reason: 'suspended',
      state: 'suspended',
    });
  });

  it('a sandbox purchase is listed but never counted unless accepted', () => {
    const state = stateOf(aSnapshot({ sandbox: true }));
    expect(derive([state], day(1))).toMatchObject({
      covered: false,
      reason: 'no_subscription',
      subscriptions: [{ excluded: 'sandbox', covered: false, sandbox: true, primary: false }],
    });
    expect(derive([state], day(1), { policy: { acceptSandbox: true } })).toMatchObject({
      covered: true,
      subscriptions: [{ excluded: null, primary: true }],
    });
  });

  it('an unknown product is listed but grants nothing', () => {
    expect(
      derive([stateOf(aSnapshot({ plan: null, interval: null, productId: 'legacy' }))], day(1)),
    ).toMatchObject({
      covered: false,
      reason: 'no_subscription',
      limits: { image: 0, video: 0 },
      subscriptions: [{ excluded: 'unknown_product', productId: 'legacy' }],
    });
  });

  it('does not hand out the plan table objects', () => {
    const entitlement = derive([stateOf(aSnapshot())], day(1));
    entitlement.limits.image = 99;
    expect(SPEC_PLAN_LIMITS.unlimited.image).toBe(4);
  });
});

describe('deriveEntitlement: several subscriptions', () => {
  it('web Unlimited and App Store Pro: Pro wins, both listed, duplicate billing flagged', () => {
    const entitlement = derive([stateOf(aSnapshot()), stateOf(apple(pro))], day(1));
    expect(entitlement).toMatchObject({
      covered: true,
      plan: 'unlimited_pro',
      provider: 'apple',
      limits: { image: 16, video: 4 },
      duplicateBilling: true,
    });
    expect(entitlement.subscriptions.map((s) => [s.store, s.primary])).toEqual([
      ['apple', true],
      ['stripe', false],
    ]);
  });

  it('a covered subscription wins over a higher plan that is not covered', () => {
    const entitlement = derive(
      [stateOf(apple({ ...pro, status: 'past_due' })), stateOf(aSnapshot())],
      day(1),
    );
    expect(entitlement).toMatchObject({
      covered: true,
      plan: 'unlimited',
      state: 'active',
      duplicateBilling: true,
    });
  });

  it('a paid subscription wins over a trial of a higher plan (trial limits would restrict it)', () => {
    const entitlement = derive(
      [stateOf(apple({ ...pro, status: 'trial', trialEnd: day(3) })), stateOf(aSnapshot())],
      day(1),
    );
    expect(entitlement).toMatchObject({
      covered: true,
      plan: 'unlimited',
      isTrial: false,
      provider: 'stripe',
    });
  });

  it('between two trials the higher plan wins', () => {
    const entitlement = derive(
      [stateOf(aTrialSnapshot()), stateOf(apple({ ...pro, status: 'trial', trialEnd: day(3) }))],
      day(1),
    );
    expect(entitlement).toMatchObject({ plan: 'unlimited_pro', isTrial: true });
  });

  it('same plan: the later period end wins, then the store order (deterministic)', () => {
    const later = derive(
      [stateOf(aSnapshot()), stateOf(apple({ currentPeriodEnd: day(31) }))],
      day(1),
    );
    expect(later.provider).toBe('apple');
    const tie = derive([stateOf(apple()), stateOf(aSnapshot())], day(1));
    expect(tie.provider).toBe('stripe');
  });

  it('an expired subscription next to an active one: active, no duplicate billing', () => {
    const entitlement = derive(
      [stateOf(apple({ status: 'expired' })), stateOf(aSnapshot())],
      day(1),
    );
    expect(entitlement).toMatchObject({ covered: true, state: 'active', duplicateBilling: false });
  });

  it('nothing covered: the live, actionable state is shown before an old ending', () => {
    const entitlement = derive(
      [stateOf(apple({ status: 'expired' })), stateOf(aSnapshot({ status: 'past_due' }))],
      day(1),
    );
    expect(entitlement).toMatchObject({ covered: false, reason: 'past_due', provider: 'stripe' });
  });

  it('nothing live: the most recent ending is shown', () => {
    const entitlement = derive(
      [
        stateOf(apple({ status: 'revoked', currentPeriodEnd: day(10) })),
        stateOf(aSnapshot({ status: 'expired', currentPeriodEnd: day(20) })),
      ],
      day(21),
    );
    expect(entitlement).toMatchObject({ reason: 'expired', provider: 'stripe' });
  });

  it('an active subscription and a trial are not duplicate billing; two paid ones are', () => {
    expect(
      derive([stateOf(aSnapshot()), stateOf(apple({ status: 'trial', trialEnd: day(3) }))], day(1))
        .duplicateBilling,
    ).toBe(false);
    expect(
      derive([stateOf(aSnapshot({ cancelAtPeriodEnd: true })), stateOf(apple())], day(1))
        .duplicateBilling,
    ).toBe(true);
  });

  it('a replaced Google purchase token is never counted again', () => {
    const google = { store: 'google' as const };
    const old = stateOf(aSnapshot({ ...google, storeSubscriptionId: 'tok-1', ...pro }));
    const replacement = stateOf(
      aSnapshot({
        ...google,
        storeSubscriptionId: 'tok-2',
        supersedes: 'tok-1',
        observedAt: day(2),
      }),
    );
    const entitlement = derive([old, replacement], day(3));
    expect(entitlement).toMatchObject({
      plan: 'unlimited',
      duplicateBilling: false,
      storeSubscriptionId: 'tok-2',
    });
    expect(entitlement.subscriptions.find((s) => s.storeSubscriptionId === 'tok-1')?.excluded).toBe(
      'superseded',
    );
  });

  it('the answer does not depend on the order of the list', () => {
    const states = [
      stateOf(aSnapshot()),
      stateOf(apple(pro)),
      stateOf(aSnapshot({ store: 'google', storeSubscriptionId: 'tok-1', status: 'past_due' })),
    ];
    const forward = derive(states, day(1));
    expect(derive([...states].reverse(), day(1))).toEqual(forward);
    expect(derive([states[1], states[2], states[0]], day(1))).toEqual(forward);
  });

  it('nextChangeAt is the earliest time-based change among counted subscriptions', () => {
    const entitlement = derive(
      [stateOf(aSnapshot()), stateOf(apple({ currentPeriodEnd: day(10) }))],
      day(1),
    );
    expect(entitlement.nextChangeAt).toEqual(shift(day(10), HOUR));
    expect(derive([stateOf(aSnapshot())], shift(day(30), 2 * DAY)).nextChangeAt).toBeNull();
  });
});
