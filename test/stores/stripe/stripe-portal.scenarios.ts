/**
 * The Customer Portal flows (seed 001 §7) as scripts over the Stripe API fake. Each scenario
 * drives the fake (what the customer does in the portal, what Stripe does on its own) and says
 * what the dashboard must answer after each step. A `ScenarioDriver` decides what a step does:
 * deliver and check at once (live), or only record the events (to replay them in order,
 * shuffled, duplicated).
 */
import type { StripeApiFake } from '../../fakes/stripe/stripe-api.fake';
import type { StripeEventJson } from '../../fakes/stripe/stripe-events.builder';
import type { BillingModeType } from '../../fakes/stripe/stripe-objects.builder';
import type { EntitlementBody } from './stripe-e2e.harness';

export type Expectation = (body: EntitlementBody, ctx: { fake: StripeApiFake }) => void;

export interface ScenarioDriver {
  readonly fake: StripeApiFake;
  /** One portal action's events, then what the dashboard answers once they are processed. */
  step(name: string, events: StripeEventJson[], expect: Expectation): Promise<void>;
}

export interface Scenario {
  name: string;
  run(driver: ScenarioDriver, accountId: string): Promise<void>;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function start(
  d: ScenarioDriver,
  accountId: string,
  lookupKey: string,
  opts: { trialDays?: number; billingMode?: BillingModeType } = {},
) {
  const customer = d.fake.addCustomer({ metadata: { account_id: accountId } });
  return d.fake.startSubscription({
    customer: customer.id,
    lookupKey,
    trialDays: opts.trialDays ?? null,
    billingMode: opts.billingMode,
    fingerprint: `fp_${accountId}`,
    metadata: { account_id: accountId },
  });
}

function periodEnd(fake: StripeApiFake, subscriptionId: string): number {
  return fake.sub(subscriptionId).items.data[0].current_period_end;
}

const activePlan =
  (plan: string, interval: string, limits: { image: number; video: number }): Expectation =>
  (e) => {
    expect(e).toMatchObject({
      covered: true,
      state: 'active',
      plan,
      interval,
      limits,
      provider: 'stripe',
    });
  };

export const SCENARIOS: Scenario[] = [
  {
    name: 'trial start → conversion',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_monthly', { trialDays: 3 });
      const trialEnd = subscription.trial_end!;
      await d.step('trial starts', events, (e) => {
        expect(e).toMatchObject({
          covered: true,
          state: 'trial',
          plan: 'unlimited',
          trialEndsAt: iso(trialEnd),
        });
      });
      await d.step('trial converts', d.fake.convertTrial(subscription.id), (e, { fake }) => {
        expect(e).toMatchObject({
          covered: true,
          state: 'active',
          plan: 'unlimited',
          trialEndsAt: null,
        });
        expect(e.paidThrough).toBe(iso(periodEnd(fake, subscription.id)));
      });
    },
  },
  {
    name: 'cancel during the trial (at period end) ends access at once',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_monthly', { trialDays: 3 });
      await d.step('trial starts', events, (e) =>
        expect(e).toMatchObject({ covered: true, state: 'trial' }),
      );
      await d.step(
        'customer cancels in the portal',
        d.fake.cancelAtPeriodEnd(subscription.id),
        (e) => {
          expect(e).toMatchObject({ covered: false, state: 'expired' });
        },
      );
    },
  },
  {
    name: 'cancel during the trial (immediately)',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_annual', { trialDays: 3 });
      await d.step('trial starts', events, (e) =>
        expect(e).toMatchObject({ covered: true, state: 'trial' }),
      );
      await d.step('canceled now', d.fake.cancelNow(subscription.id), (e) => {
        expect(e).toMatchObject({ covered: false, state: 'expired' });
      });
    },
  },
  ...(['classic', 'flexible'] as const).map((billingMode): Scenario => ({
    name: `cancel at period end (${billingMode} billing mode) → covered until the end → expired`,
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_monthly', { billingMode });
      await d.step('subscribed', events, activePlan('unlimited', 'month', { image: 4, video: 1 }));
      const end = periodEnd(d.fake, subscription.id);
      await d.step(
        'cancel at period end',
        d.fake.cancelAtPeriodEnd(subscription.id),
        (e, { fake }) => {
          const sub = fake.sub(subscription.id);
          // Classic mode sets cancel_at_period_end; flexible mode sets only cancel_at.
          expect(sub.cancel_at_period_end).toBe(billingMode === 'classic');
          expect(sub.cancel_at).toBe(end);
          expect(e).toMatchObject({
            covered: true,
            state: 'active',
            cancelAtPeriodEnd: true,
            paidThrough: iso(end),
          });
        },
      );
      await d.step('period ends', d.fake.endOfPeriod(subscription.id), (e) => {
        expect(e).toMatchObject({ covered: false, state: 'expired', cancelAtPeriodEnd: false });
      });
    },
  })),
  {
    name: 'reactivate before the end: no new period',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_pro_monthly');
      await d.step(
        'subscribed',
        events,
        activePlan('unlimited_pro', 'month', { image: 16, video: 4 }),
      );
      const end = periodEnd(d.fake, subscription.id);
      await d.step('cancel at period end', d.fake.cancelAtPeriodEnd(subscription.id), (e) => {
        expect(e).toMatchObject({ covered: true, cancelAtPeriodEnd: true });
      });
      await d.step('renew plan in the portal', d.fake.reactivate(subscription.id), (e) => {
        expect(e).toMatchObject({
          covered: true,
          state: 'active',
          cancelAtPeriodEnd: false,
          currentPeriodEnd: iso(end),
        });
      });
      await d.step('renews at the end', d.fake.endOfPeriod(subscription.id), (e, { fake }) => {
        expect(e).toMatchObject({ covered: true, state: 'active', cancelAtPeriodEnd: false });
        expect(e.currentPeriodEnd).toBe(iso(periodEnd(fake, subscription.id)));
        expect(periodEnd(fake, subscription.id)).toBeGreaterThan(end);
      });
    },
  },
  {
    name: 'upgrade with immediate effect',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_monthly');
      await d.step('subscribed', events, activePlan('unlimited', 'month', { image: 4, video: 1 }));
      await d.step(
        'upgrade to Pro',
        d.fake.upgrade(subscription.id, 'unlimited_pro_monthly'),
        activePlan('unlimited_pro', 'month', { image: 16, video: 4 }),
      );
    },
  },
  {
    name: 'downgrade scheduled at period end, changed, then applied',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_pro_monthly');
      await d.step(
        'subscribed',
        events,
        activePlan('unlimited_pro', 'month', { image: 16, video: 4 }),
      );
      const end = periodEnd(d.fake, subscription.id);
      await d.step(
        'schedule a downgrade',
        d.fake.scheduleDowngrade(subscription.id, 'unlimited_monthly'),
        (e) => {
          activePlan('unlimited_pro', 'month', { image: 16, video: 4 })(e, { fake: d.fake });
          expect(e.pendingChange).toEqual({
            plan: 'unlimited',
            interval: 'month',
            effectiveAt: iso(end),
          });
        },
      );
      await d.step(
        'change it to annual',
        d.fake.changeScheduledDowngrade(subscription.id, 'unlimited_annual'),
        (e) => {
          expect(e).toMatchObject({ plan: 'unlimited_pro', limits: { image: 16, video: 4 } });
          expect(e.pendingChange).toEqual({
            plan: 'unlimited',
            interval: 'year',
            effectiveAt: iso(end),
          });
        },
      );
      await d.step('the phase starts', d.fake.endOfPeriod(subscription.id), (e) => {
        activePlan('unlimited', 'year', { image: 4, video: 1 })(e, { fake: d.fake });
        expect(e.pendingChange).toBeNull();
      });
    },
  },
  {
    name: 'downgrade scheduled then withdrawn',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_pro_annual');
      await d.step(
        'subscribed',
        events,
        activePlan('unlimited_pro', 'year', { image: 16, video: 4 }),
      );
      await d.step(
        'schedule a downgrade',
        d.fake.scheduleDowngrade(subscription.id, 'unlimited_pro_monthly'),
        (e) => {
          expect(e.pendingChange).toMatchObject({ plan: 'unlimited_pro', interval: 'month' });
        },
      );
      await d.step('withdraw it', d.fake.withdrawScheduledDowngrade(subscription.id), (e) => {
        activePlan('unlimited_pro', 'year', { image: 16, video: 4 })(e, { fake: d.fake });
        expect(e.pendingChange).toBeNull();
      });
    },
  },
  {
    name: 'payment failure → past due (not covered) → recovery',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_monthly');
      await d.step('subscribed', events, activePlan('unlimited', 'month', { image: 4, video: 1 }));
      await d.step(
        'renewal payment fails',
        d.fake.endOfPeriod(subscription.id, { paymentSucceeds: false }),
        (e) => {
          expect(e).toMatchObject({ covered: false, state: 'past_due', reason: 'past_due' });
        },
      );
      await d.step(
        'retry succeeds',
        d.fake.retryPayment(subscription.id, { paymentSucceeds: true }),
        activePlan('unlimited', 'month', { image: 4, video: 1 }),
      );
    },
  },
  {
    name: 'final payment failure → expired',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_monthly');
      await d.step('subscribed', events, activePlan('unlimited', 'month', { image: 4, video: 1 }));
      await d.step(
        'renewal payment fails',
        d.fake.endOfPeriod(subscription.id, { paymentSucceeds: false }),
        (e) => {
          expect(e).toMatchObject({ covered: false, state: 'past_due' });
        },
      );
      await d.step(
        'retry fails',
        d.fake.retryPayment(subscription.id, { paymentSucceeds: false }),
        (e) => {
          expect(e).toMatchObject({ covered: false, state: 'past_due' });
        },
      );
      await d.step(
        'last retry fails: canceled',
        d.fake.retryPayment(subscription.id, { paymentSucceeds: false, final: true }),
        (e) => {
          expect(e).toMatchObject({ covered: false, state: 'expired' });
        },
      );
    },
  },
  {
    name: 'full refund → revoked',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_annual');
      await d.step('subscribed', events, activePlan('unlimited', 'year', { image: 4, video: 1 }));
      await d.step(
        'support refunds the charge',
        d.fake.refundLatestCharge(subscription.id),
        (e) => {
          expect(e).toMatchObject({ covered: false, state: 'revoked' });
        },
      );
    },
  },
  {
    name: 'partial refund → unchanged',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_annual');
      await d.step('subscribed', events, activePlan('unlimited', 'year', { image: 4, video: 1 }));
      await d.step(
        'support refunds part of the charge',
        d.fake.refundLatestCharge(subscription.id, { amount: 5000 }),
        activePlan('unlimited', 'year', { image: 4, video: 1 }),
      );
    },
  },
  {
    name: 'dispute → account suspended → won → lifted',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_pro_annual');
      await d.step(
        'subscribed',
        events,
        activePlan('unlimited_pro', 'year', { image: 16, video: 4 }),
      );
      const opened = d.fake.openDispute(subscription.id);
      await d.step('cardholder disputes the charge', opened.events, (e) => {
        expect(e).toMatchObject({ covered: false, reason: 'suspended' });
      });
      await d.step(
        'dispute won',
        d.fake.closeDispute(opened.dispute.id, 'won'),
        activePlan('unlimited_pro', 'year', { image: 16, video: 4 }),
      );
    },
  },
  {
    name: 'dispute → account suspended → lost → period revoked, suspension lifted',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_annual');
      await d.step('subscribed', events, activePlan('unlimited', 'year', { image: 4, video: 1 }));
      const opened = d.fake.openDispute(subscription.id);
      await d.step('cardholder disputes the charge', opened.events, (e) => {
        expect(e).toMatchObject({ covered: false, reason: 'suspended' });
      });
      await d.step('dispute lost', d.fake.closeDispute(opened.dispute.id, 'lost'), (e) => {
        expect(e).toMatchObject({ covered: false, state: 'revoked', reason: 'revoked' });
      });
    },
  },
  {
    name: 'paused by Stripe, then resumed',
    async run(d, account) {
      const { subscription, events } = start(d, account, 'unlimited_monthly');
      await d.step('subscribed', events, activePlan('unlimited', 'month', { image: 4, video: 1 }));
      await d.step('paused', d.fake.pause(subscription.id), (e) => {
        expect(e).toMatchObject({ covered: false, state: 'paused' });
      });
      await d.step(
        'resumed',
        d.fake.resume(subscription.id),
        activePlan('unlimited', 'month', { image: 4, video: 1 }),
      );
    },
  },
];

/** What must be equal whatever the delivery order (ids and usage aside). */
export function finalAnswer(e: EntitlementBody): Record<string, unknown> {
  return {
    covered: e.covered,
    reason: e.reason,
    state: e.state,
    plan: e.plan,
    interval: e.interval,
    provider: e.provider,
    trialEndsAt: e.trialEndsAt,
    currentPeriodEnd: e.currentPeriodEnd,
    paidThrough: e.paidThrough,
    cancelAtPeriodEnd: e.cancelAtPeriodEnd,
    pendingChange: e.pendingChange,
    limits: e.limits,
    subscriptions: e.subscriptions.map((s) => ({
      state: s.state,
      plan: s.plan,
      covered: s.covered,
    })),
    duplicateBilling: e.duplicateBilling,
  };
}
