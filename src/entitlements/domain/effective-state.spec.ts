import { effectiveSubscription, type EffectiveSubscription } from './effective-state';
import type { EntitlementPolicy } from './entitlement-policy';
import type { SubscriptionState } from './subscription-state';
import {
  DAY,
  HOUR,
  T0,
  aPolicy,
  aSnapshot,
  aTrialSnapshot,
  day,
  shift,
  stateOf,
} from './testing/snapshot.builder';

interface Case {
  rule: string;
  state: SubscriptionState;
  now: Date;
  policy?: Partial<EntitlementPolicy>;
  expect: Partial<EffectiveSubscription>;
}

const LEEWAY = HOUR; // aPolicy(): 3600 s

const cases: Case[] = [
  // --- primary states (SPEC §4 table) -------------------------------------------------------
  {
    rule: 'trial is covered',
    state: stateOf(aTrialSnapshot()),
    now: day(1),
    expect: { state: 'trial', covered: true, trialEndsAt: day(3), paidThrough: null },
  },
  {
    rule: 'active is covered, paid through the period end',
    state: stateOf(aSnapshot()),
    now: day(10),
    expect: { state: 'active', covered: true, paidThrough: day(30), trialEndsAt: null },
  },
  {
    rule: 'past_due is not covered by default (seed: covered jobs paused until payment resolves)',
    state: stateOf(aSnapshot({ status: 'past_due', gracePeriodEnd: day(40) })),
    now: day(10),
    expect: { state: 'past_due', covered: false, live: true },
  },
  {
    rule: 'past_due is covered within its grace period when the operator allows it',
    state: stateOf(aSnapshot({ status: 'past_due', gracePeriodEnd: day(40) })),
    now: day(39),
    policy: { pastDueCovered: true },
    expect: { state: 'past_due', covered: true, nextChangeAt: shift(day(40), LEEWAY) },
  },
  {
    rule: 'past_due allowed by the operator stops being covered after grace + leeway',
    state: stateOf(aSnapshot({ status: 'past_due', gracePeriodEnd: day(40) })),
    now: shift(day(40), LEEWAY),
    policy: { pastDueCovered: true },
    expect: { state: 'past_due', covered: false },
  },
  {
    rule: 'past_due allowed by the operator falls back to the period end without a grace end',
    state: stateOf(aSnapshot({ status: 'past_due' })),
    now: shift(day(30), LEEWAY + 1),
    policy: { pastDueCovered: true },
    expect: { state: 'past_due', covered: false },
  },
  {
    rule: 'past_due with no known end is never covered, even when allowed',
    state: stateOf(aSnapshot({ status: 'past_due', currentPeriodEnd: null })),
    now: day(1),
    policy: { pastDueCovered: true },
    expect: { state: 'past_due', covered: false },
  },
  {
    rule: 'paused is not covered',
    state: stateOf(aSnapshot({ status: 'paused' })),
    now: day(1),
    expect: { state: 'paused', covered: false, live: true },
  },
  {
    rule: 'expired (store) is not covered, even inside the old period',
    state: stateOf(aSnapshot({ status: 'expired' })),
    now: day(1),
    expect: { state: 'expired', cause: 'store', covered: false, live: false },
  },
  {
    rule: 'revoked (store) is not covered',
    state: stateOf(aSnapshot({ status: 'revoked' })),
    now: day(1),
    expect: { state: 'revoked', cause: 'store', covered: false, live: false },
  },
  {
    rule: 'incomplete (first payment pending) is not covered',
    state: stateOf(aSnapshot({ status: 'incomplete' })),
    now: day(1),
    expect: { state: 'incomplete', covered: false, live: true },
  },

  // --- time decides, not a cron ------------------------------------------------------------
  {
    rule: 'an active period still runs inside the leeway after its end',
    state: stateOf(aSnapshot()),
    now: shift(day(30), LEEWAY - 1),
    expect: { state: 'active', covered: true, nextChangeAt: shift(day(30), LEEWAY) },
  },
  {
    rule: 'an active period with no renewal is expired once end + leeway has passed',
    state: stateOf(aSnapshot()),
    now: shift(day(30), LEEWAY),
    expect: { state: 'expired', cause: 'period_ended', covered: false, paidThrough: null },
  },
  {
    rule: 'leeway is configurable: zero leeway expires at the period end',
    state: stateOf(aSnapshot()),
    now: day(30),
    policy: { expiryLeewaySeconds: 0 },
    expect: { state: 'expired', cause: 'period_ended' },
  },
  {
    rule: 'a trial past trialEnd + leeway with no conversion is expired',
    state: stateOf(aTrialSnapshot()),
    now: shift(day(3), LEEWAY),
    expect: { state: 'expired', cause: 'trial_ended', covered: false, trialEndsAt: null },
  },
  {
    rule: 'a trial within the leeway after trialEnd is still covered',
    state: stateOf(aTrialSnapshot()),
    now: shift(day(3), LEEWAY - 1),
    expect: { state: 'trial', covered: true },
  },
  {
    rule: 'a trial without trialEnd ends with its current period',
    state: stateOf(aTrialSnapshot({ trialEnd: null, currentPeriodEnd: day(3) })),
    now: shift(day(3), LEEWAY),
    expect: { state: 'expired', cause: 'trial_ended' },
  },
  {
    rule: 'an active subscription with no known period end stays active (nothing to expire on)',
    state: stateOf(aSnapshot({ currentPeriodEnd: null })),
    now: day(400),
    expect: { state: 'active', covered: true, nextChangeAt: null },
  },

  // --- flags -------------------------------------------------------------------------------
  {
    rule: 'cancelAtPeriodEnd stays covered until the period end',
    state: stateOf(aSnapshot({ cancelAtPeriodEnd: true })),
    now: day(29),
    expect: { state: 'active', covered: true, cancelAtPeriodEnd: true, paidThrough: day(30) },
  },
  {
    rule: 'cancelAtPeriodEnd becomes expired after the period end + leeway',
    state: stateOf(aSnapshot({ cancelAtPeriodEnd: true })),
    now: shift(day(30), LEEWAY),
    expect: { state: 'expired', cause: 'period_ended', covered: false },
  },
  {
    rule: 'canceling during a trial ends access immediately',
    state: stateOf(aTrialSnapshot({ cancelAtPeriodEnd: true })),
    now: day(1),
    expect: { state: 'expired', cause: 'trial_canceled', covered: false, nextChangeAt: null },
  },
  {
    rule: 'a pending downgrade keeps the current plan before effectiveAt',
    state: stateOf(
      aSnapshot({
        plan: 'unlimited_pro',
        pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
      }),
    ),
    now: shift(day(30), -1),
    expect: {
      plan: 'unlimited_pro',
      pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
      pendingChangeApplied: false,
      nextChangeAt: day(30),
    },
  },
  {
    rule: 'a pending downgrade applies at effectiveAt (time decides)',
    state: stateOf(
      aSnapshot({
        plan: 'unlimited_pro',
        pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
      }),
    ),
    now: day(30),
    expect: {
      state: 'active',
      covered: true,
      plan: 'unlimited',
      interval: 'month',
      pendingChange: null,
      pendingChangeApplied: true,
    },
  },
  {
    rule: 'a pending interval change applies at effectiveAt',
    state: stateOf(
      aSnapshot({
        interval: 'year',
        currentPeriodEnd: day(365),
        pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(365) },
      }),
    ),
    now: day(365),
    expect: { plan: 'unlimited', interval: 'month', pendingChangeApplied: true },
  },

  // --- refunds and revocation --------------------------------------------------------------
  {
    rule: 'revokedThrough at the current period end revokes it',
    state: stateOf(aSnapshot({ revokedThrough: day(30) })),
    now: day(5),
    expect: { state: 'revoked', cause: 'refunded', covered: false, live: false },
  },
  {
    rule: 'revokedThrough after the current period end revokes it',
    state: stateOf(aSnapshot({ revokedThrough: day(31) })),
    now: day(5),
    expect: { state: 'revoked', cause: 'refunded' },
  },
  {
    rule: 'revokedThrough before the current period end leaves the new period alone',
    state: stateOf(aSnapshot({ revokedThrough: shift(day(30), -DAY) })),
    now: day(5),
    expect: { state: 'active', covered: true },
  },
  {
    rule: 'revokedThrough with no known period end revokes (nothing shows newer paid time)',
    state: stateOf(aSnapshot({ currentPeriodEnd: null, revokedThrough: day(1) })),
    now: day(5),
    expect: { state: 'revoked', cause: 'refunded' },
  },

  // --- what never grants -------------------------------------------------------------------
  {
    rule: 'a sandbox purchase is not covered by default',
    state: stateOf(aSnapshot({ sandbox: true })),
    now: day(1),
    expect: { state: 'active', covered: false, excluded: 'sandbox' },
  },
  {
    rule: 'a sandbox purchase is covered when sandbox purchases are accepted',
    state: stateOf(aSnapshot({ sandbox: true })),
    now: day(1),
    policy: { acceptSandbox: true },
    expect: { state: 'active', covered: true, excluded: null },
  },
  {
    rule: 'an unknown product grants nothing',
    state: stateOf(aSnapshot({ plan: null, interval: null, productId: 'legacy' })),
    now: day(1),
    expect: { state: 'active', covered: false, excluded: 'unknown_product', plan: null },
  },
  {
    rule: 'an unknown product grants nothing even when a known plan is scheduled',
    state: stateOf(
      aSnapshot({
        plan: null,
        interval: null,
        pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(1) },
      }),
    ),
    now: day(2),
    expect: { covered: false, excluded: 'unknown_product', plan: 'unlimited' },
  },
];

describe('effectiveSubscription (SPEC §4 rules)', () => {
  it.each(cases)('$rule', ({ state, now, policy, expect: expected }) => {
    const view = effectiveSubscription(state, now, aPolicy(policy));
    expect(view).toMatchObject(expected);
    expect(view.at).toEqual(now);
  });

  it('a sandbox mark is sticky: a later snapshot without it does not make the purchase real', () => {
    const state = stateOf(
      aSnapshot({ sandbox: true }),
      aSnapshot({ observedAt: day(1), sandbox: false }),
    );
    expect(effectiveSubscription(state, day(2), aPolicy()).excluded).toBe('sandbox');
  });

  it('a refund is sticky: a newer snapshot of the same period stays revoked', () => {
    const state = stateOf(
      aSnapshot({ observedAt: day(2), revokedThrough: day(30) }),
      aSnapshot({ observedAt: day(3), sourceEvent: 'customer.subscription.updated' }),
    );
    expect(effectiveSubscription(state, day(4), aPolicy())).toMatchObject({
      state: 'revoked',
      covered: false,
    });
  });

  it('a renewal after a refund grants the new period', () => {
    const state = stateOf(
      aSnapshot({ observedAt: day(2), revokedThrough: day(30) }),
      aSnapshot({ observedAt: day(30), currentPeriodStart: day(30), currentPeriodEnd: day(60) }),
    );
    expect(effectiveSubscription(state, day(31), aPolicy())).toMatchObject({
      state: 'active',
      covered: true,
    });
  });

  it('nextChangeAt is the earliest of the pending change and the period end + leeway', () => {
    const state = stateOf(
      aSnapshot({
        plan: 'unlimited_pro',
        pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
      }),
    );
    expect(effectiveSubscription(state, day(1), aPolicy()).nextChangeAt).toEqual(day(30));
    expect(effectiveSubscription(state, day(30), aPolicy()).nextChangeAt).toEqual(
      shift(day(30), LEEWAY),
    );
    expect(effectiveSubscription(state, shift(day(30), LEEWAY), aPolicy()).nextChangeAt).toBeNull();
  });

  it('does not share Date objects with the stored state', () => {
    const state = stateOf(aSnapshot());
    const view = effectiveSubscription(state, T0, aPolicy());
    view.currentPeriodEnd?.setTime(0);
    expect(state.latest.currentPeriodEnd).toEqual(day(30));
  });
});
