import type Stripe from 'stripe';
import {
  addDays,
  addInterval,
  buildCharge,
  buildDispute,
  buildInvoice,
  buildInvoicePayment,
  buildPrice,
  buildSchedule,
  buildSubscription,
  unix,
  wireCopy,
} from '../../../test/fakes/stripe/stripe-objects.builder';
import {
  buildStripeEvent,
  type StripeEventJson,
} from '../../../test/fakes/stripe/stripe-events.builder';
import type { PrimaryState } from '../../entitlements/domain/subscription-snapshot';
import {
  STRIPE_DISPUTE_STATUSES,
  STRIPE_HANDLED_EVENT_TYPES,
  STRIPE_SUBSCRIPTION_STATUSES,
  accountIdFromMetadata,
  buildStripeSnapshot,
  disputeAction,
  invoicePaidThrough,
  invoiceSubscriptionId,
  isFullRefund,
  isScheduledDowngrade,
  mapSubscriptionStatus,
  nextSchedulePhase,
  routeStripeEvent,
  type DisputeAction,
  type ProductMatch,
  type ResolveProduct,
  type StripeEventRoute,
  type StripeSubscriptionStatus,
} from './stripe-event.adapter';

const NOW = new Date('2026-03-01T12:00:00Z');
const T = unix(NOW);

const PRODUCTS: Record<string, ProductMatch> = {
  unlimited_monthly: { plan: 'unlimited', interval: 'month' },
  unlimited_annual: { plan: 'unlimited', interval: 'year' },
  unlimited_pro_monthly: { plan: 'unlimited_pro', interval: 'month' },
  unlimited_pro_annual: { plan: 'unlimited_pro', interval: 'year' },
};
const resolveProduct: ResolveProduct = (key) => PRODUCTS[key] ?? null;

function price(lookupKey: string | null, interval: 'month' | 'year' = 'month'): Stripe.Price {
  return buildPrice({
    product: 'prod_x',
    lookupKey,
    unitAmount: 2000,
    interval,
    created: T - 10_000,
  });
}
const PRICES = {
  monthly: price('unlimited_monthly'),
  annual: price('unlimited_annual', 'year'),
  proMonthly: price('unlimited_pro_monthly'),
  proAnnual: price('unlimited_pro_annual', 'year'),
  legacy: price('legacy_monthly'),
  noKey: price(null),
};

function subscription(
  overrides: Partial<Parameters<typeof buildSubscription>[0]> = {},
): Stripe.Subscription {
  return buildSubscription({
    customer: 'cus_1',
    price: PRICES.monthly,
    status: 'active',
    created: T - 86400,
    periodStart: T - 86400,
    periodEnd: addInterval(T - 86400, 'month'),
    metadata: { account_id: 'acct-1' },
    ...overrides,
  });
}

function snapshotOf(
  sub: Stripe.Subscription,
  extra: Partial<Parameters<typeof buildStripeSnapshot>[0]> = {},
) {
  const result = buildStripeSnapshot({
    subscription: wireCopy(sub),
    observedAt: NOW,
    accountId: 'acct-1',
    sourceEvent: 'customer.subscription.updated',
    resolveProduct,
    ...extra,
  });
  if (!result.ok) throw new Error(`expected a snapshot, got ${result.code}: ${result.note}`);
  return result;
}

describe('mapSubscriptionStatus', () => {
  const table: Array<[StripeSubscriptionStatus, PrimaryState]> = [
    ['trialing', 'trial'],
    ['active', 'active'],
    ['past_due', 'past_due'],
    ['unpaid', 'past_due'],
    ['paused', 'paused'],
    ['canceled', 'expired'],
    ['incomplete', 'incomplete'],
    ['incomplete_expired', 'expired'],
  ];

  it('lists every Stripe status exactly once', () => {
    expect(table.map(([s]) => s).sort()).toEqual([...STRIPE_SUBSCRIPTION_STATUSES].sort());
  });

  it.each(table)('%s → %s', (stripeStatus, ours) => {
    expect(mapSubscriptionStatus(stripeStatus)).toBe(ours);
    expect(snapshotOf(subscription({ status: stripeStatus })).snapshot.status).toBe(ours);
  });

  it('refuses an unknown status instead of guessing', () => {
    const result = buildStripeSnapshot({
      subscription: subscription({ status: 'frozen' }),
      observedAt: NOW,
      accountId: null,
      sourceEvent: 'customer.subscription.updated',
      resolveProduct,
    });
    expect(result).toMatchObject({ ok: false, code: 'unknown_status' });
  });
});

describe('routeStripeEvent', () => {
  const sub = subscription();
  const invoice = buildInvoice({
    customer: 'cus_1',
    subscription: sub.id,
    subscriptionItem: sub.items.data[0].id,
    price: PRICES.monthly,
    amount: 2000,
    periodStart: T,
    periodEnd: addInterval(T, 'month'),
    created: T,
    status: 'paid',
    billingReason: 'subscription_cycle',
  });
  const schedule = buildSchedule({
    customer: 'cus_1',
    subscription: sub.id,
    status: 'active',
    created: T,
    phases: [
      { price: PRICES.proMonthly.id, start: T - 86400, end: T + 86400 },
      { price: PRICES.monthly.id, start: T + 86400, end: addInterval(T + 86400, 'month') },
    ],
    currentPhase: { start: T - 86400, end: T + 86400 },
  });
  const released = buildSchedule({
    customer: 'cus_1',
    subscription: null,
    status: 'released',
    created: T,
    phases: [],
    releasedAt: T,
    releasedSubscription: sub.id,
  });
  const charge = buildCharge({
    customer: 'cus_1',
    paymentIntent: 'pi_1',
    paymentMethod: 'pm_1',
    amount: 2000,
    amountRefunded: 2000,
    created: T,
  });
  const dispute = buildDispute({
    charge: charge.id,
    paymentIntent: 'pi_1',
    amount: 2000,
    status: 'needs_response',
    created: T,
  });
  const payment = buildInvoicePayment({
    invoice: invoice.id,
    paymentIntent: 'pi_1',
    amount: 2000,
    created: T,
  });

  const event = (
    type: Stripe.Event.Type,
    object: Parameters<typeof buildStripeEvent>[1],
  ): StripeEventJson => buildStripeEvent(type, object, { created: T });
  const route = (e: StripeEventJson): StripeEventRoute =>
    routeStripeEvent({
      id: e.id,
      type: e.type,
      created: e.created,
      data: { object: e.data.object as unknown as Record<string, unknown> },
    });

  const table: Array<{
    type: (typeof STRIPE_HANDLED_EVENT_TYPES)[number];
    object: Parameters<typeof buildStripeEvent>[1];
    kind: StripeEventRoute['kind'];
    check?: (r: StripeEventRoute) => void;
  }> = [
    { type: 'customer.subscription.created', object: sub, kind: 'subscription' },
    { type: 'customer.subscription.updated', object: sub, kind: 'subscription' },
    {
      type: 'customer.subscription.deleted',
      object: subscription({ status: 'canceled' }),
      kind: 'subscription',
    },
    {
      type: 'customer.subscription.paused',
      object: subscription({ status: 'paused' }),
      kind: 'subscription',
    },
    { type: 'customer.subscription.resumed', object: sub, kind: 'subscription' },
    {
      type: 'customer.subscription.trial_will_end',
      object: subscription({ status: 'trialing' }),
      kind: 'subscription',
    },
    {
      type: 'invoice.paid',
      object: invoice,
      kind: 'invoice',
      check: (r) => expect(r).toMatchObject({ subscriptionId: sub.id }),
    },
    {
      type: 'invoice.payment_failed',
      object: invoice,
      kind: 'invoice',
      check: (r) => expect(r).toMatchObject({ subscriptionId: sub.id }),
    },
    { type: 'invoice_payment.paid', object: payment, kind: 'invoice_payment' },
    {
      type: 'subscription_schedule.created',
      object: schedule,
      kind: 'schedule',
      check: (r) => expect(r).toMatchObject({ subscriptionId: sub.id }),
    },
    { type: 'subscription_schedule.updated', object: schedule, kind: 'schedule' },
    {
      type: 'subscription_schedule.released',
      object: released,
      kind: 'schedule',
      check: (r) => expect(r).toMatchObject({ subscriptionId: sub.id }),
    },
    { type: 'subscription_schedule.canceled', object: schedule, kind: 'schedule' },
    { type: 'subscription_schedule.completed', object: schedule, kind: 'schedule' },
    { type: 'subscription_schedule.aborted', object: schedule, kind: 'schedule' },
    { type: 'subscription_schedule.expiring', object: schedule, kind: 'schedule' },
    { type: 'charge.refunded', object: charge, kind: 'refund' },
    {
      type: 'charge.dispute.created',
      object: dispute,
      kind: 'dispute',
      check: (r) => expect(r).toMatchObject({ phase: 'created' }),
    },
    {
      type: 'charge.dispute.closed',
      object: dispute,
      kind: 'dispute',
      check: (r) => expect(r).toMatchObject({ phase: 'closed' }),
    },
  ];

  it('lists every handled event type exactly once', () => {
    expect(table.map((r) => r.type).sort()).toEqual([...STRIPE_HANDLED_EVENT_TYPES].sort());
  });

  it.each(table)('$type → $kind', ({ type, object, kind, check }) => {
    const r = route(event(type, object));
    expect(r.kind).toBe(kind);
    check?.(r);
  });

  it.each<Stripe.Event.Type>([
    'customer.created',
    'checkout.session.completed',
    'invoice.upcoming',
    'payment_intent.succeeded',
    'charge.dispute.updated',
  ])('%s is stored and ignored', (type) => {
    expect(route(event(type, sub))).toMatchObject({ kind: 'ignored' });
  });

  it('reports a handled type that carries the wrong object as unusable', () => {
    expect(route(event('invoice.paid', sub))).toMatchObject({
      kind: 'unusable',
      code: 'unexpected_object',
    });
    expect(route(event('customer.subscription.updated', invoice))).toMatchObject({
      kind: 'unusable',
      code: 'malformed_subscription',
    });
  });

  it('reports a subscription without items or item periods as unusable', () => {
    const noItems = { ...wireCopy(sub), items: { object: 'list', data: [] } };
    const noPeriod = wireCopy(sub) as unknown as {
      items: { data: Array<Record<string, unknown>> };
    };
    delete noPeriod.items.data[0].current_period_end;
    for (const object of [noItems, noPeriod]) {
      const r = routeStripeEvent({
        id: 'evt_1',
        type: 'customer.subscription.updated',
        created: T,
        data: { object: object as unknown as Record<string, unknown> },
      });
      expect(r).toMatchObject({ kind: 'unusable', code: 'malformed_subscription' });
    }
  });
});

describe('buildStripeSnapshot', () => {
  it('reads the period from items.data[].current_period_end and the plan from the lookup_key', () => {
    const sub = subscription({
      price: PRICES.proAnnual,
      periodStart: T - 100,
      periodEnd: addInterval(T - 100, 'year'),
    });
    const { snapshot, notes } = snapshotOf(sub);
    expect(snapshot).toMatchObject({
      store: 'stripe',
      storeSubscriptionId: sub.id,
      accountId: 'acct-1',
      observedAt: NOW,
      status: 'active',
      plan: 'unlimited_pro',
      interval: 'year',
      productId: 'unlimited_pro_annual',
      currentPeriodStart: new Date((T - 100) * 1000),
      currentPeriodEnd: new Date(addInterval(T - 100, 'year') * 1000),
      cancelAtPeriodEnd: false,
      pendingChange: null,
      sandbox: true,
      revokedThrough: null,
      supersedes: null,
      sourceEvent: 'customer.subscription.updated',
    });
    expect(notes).toEqual([]);
  });

  it('falls back to the subscription-level period of older API versions', () => {
    const legacy = wireCopy(subscription()) as unknown as Record<string, unknown> & {
      items: { data: Array<Record<string, unknown>> };
    };
    delete legacy.items.data[0].current_period_end;
    delete legacy.items.data[0].current_period_start;
    legacy.current_period_start = T - 50;
    legacy.current_period_end = T + 5000;
    const { snapshot } = snapshotOf(legacy as unknown as Stripe.Subscription);
    expect(snapshot.currentPeriodEnd).toEqual(new Date((T + 5000) * 1000));
    expect(snapshot.currentPeriodStart).toEqual(new Date((T - 50) * 1000));
  });

  it('an unknown price grants no plan and is noted, with the lookup_key (or price id) as product', () => {
    const unknown = snapshotOf(subscription({ price: PRICES.legacy }));
    expect(unknown.snapshot).toMatchObject({
      plan: null,
      interval: null,
      productId: 'legacy_monthly',
      status: 'active',
    });
    expect(unknown.notes).toEqual([expect.objectContaining({ code: 'unknown_price' })]);
    const noKey = snapshotOf(subscription({ price: PRICES.noKey }));
    expect(noKey.snapshot).toMatchObject({ plan: null, productId: PRICES.noKey.id });
  });

  it('marks live-mode subscriptions as not sandbox', () => {
    expect(snapshotOf(subscription({ livemode: true })).snapshot.sandbox).toBe(false);
  });

  it('keeps the trial end and reports trial signals when a fingerprint is known', () => {
    const sub = subscription({
      status: 'trialing',
      trialStart: T - 100,
      trialEnd: addDays(T - 100, 3),
      periodStart: T - 100,
      periodEnd: addDays(T - 100, 3),
    });
    const { snapshot } = snapshotOf(sub, { paymentFingerprint: 'fp_abc' });
    expect(snapshot).toMatchObject({
      status: 'trial',
      trialEnd: new Date(addDays(T - 100, 3) * 1000),
      trialSignals: { paymentFingerprint: 'fp_abc' },
    });
    expect(snapshotOf(sub).snapshot.trialSignals).toBeUndefined();
  });

  describe('scheduled cancellation', () => {
    const periodEnd = addInterval(T - 86400, 'month');
    it.each([
      [
        'classic: cancel_at_period_end (with cancel_at mirrored)',
        { cancelAtPeriodEnd: true, cancelAt: periodEnd },
      ],
      ['classic: cancel_at_period_end only', { cancelAtPeriodEnd: true, cancelAt: null }],
      [
        'flexible: cancel_at only',
        { cancelAtPeriodEnd: false, cancelAt: periodEnd, billingMode: 'flexible' as const },
      ],
    ])('%s → still active, flagged, until the period end', (_name, overrides) => {
      const { snapshot } = snapshotOf(subscription(overrides));
      expect(snapshot).toMatchObject({
        status: 'active',
        cancelAtPeriodEnd: true,
        currentPeriodEnd: new Date(periodEnd * 1000),
      });
    });

    it('a cancel_at before the period end ends access at cancel_at', () => {
      const { snapshot } = snapshotOf(subscription({ cancelAt: T + 3600 }));
      expect(snapshot.currentPeriodEnd).toEqual(new Date((T + 3600) * 1000));
    });

    it.each([
      ['cancel_at_period_end', { cancelAtPeriodEnd: true }],
      ['cancel_at (flexible)', { cancelAt: addDays(T, 2), billingMode: 'flexible' as const }],
    ])(
      'canceling a trial (%s) keeps the trial picture flagged to cancel (access ends at once downstream)',
      (_name, overrides) => {
        const sub = subscription({
          status: 'trialing',
          trialStart: T - 86400,
          trialEnd: addDays(T, 2),
          periodStart: T - 86400,
          periodEnd: addDays(T, 2),
          ...overrides,
        });
        expect(snapshotOf(sub).snapshot).toMatchObject({
          status: 'trial',
          cancelAtPeriodEnd: true,
          trialEnd: new Date(addDays(T, 2) * 1000),
        });
      },
    );
  });

  it('paused payment collection counts as paused until it resumes', () => {
    const open = subscription({ pauseCollection: { behavior: 'void', resumes_at: null } });
    const resumesLater = subscription({
      pauseCollection: { behavior: 'keep_as_draft', resumes_at: T + 10 },
    });
    const resumed = subscription({ pauseCollection: { behavior: 'void', resumes_at: T - 10 } });
    expect(snapshotOf(open).snapshot.status).toBe('paused');
    expect(snapshotOf(resumesLater).snapshot.status).toBe('paused');
    expect(snapshotOf(resumed).snapshot.status).toBe('active');
  });

  it('carries a revocation in revokedThrough and keeps the store status', () => {
    const periodEnd = addInterval(T - 86400, 'month');
    const revoked = snapshotOf(subscription(), {
      revokedThrough: new Date(periodEnd * 1000),
    }).snapshot;
    expect(revoked).toMatchObject({ status: 'active', revokedThrough: new Date(periodEnd * 1000) });
    expect(snapshotOf(subscription()).snapshot.revokedThrough).toBeNull();
  });

  describe('pending change from a subscription schedule', () => {
    const start = T - 86400;
    const end = addInterval(start, 'month');
    function scheduled(
      current: Stripe.Price,
      next: Stripe.Price | string,
      status: Stripe.SubscriptionSchedule.Status = 'active',
    ) {
      const sub = subscription({ price: current, periodStart: start, periodEnd: end });
      const schedule = buildSchedule({
        customer: 'cus_1',
        subscription: sub.id,
        status,
        created: T - 10,
        phases: [
          { price: current.id, start, end },
          { price: next, start: end, end: addInterval(end, 'month') },
        ],
        currentPhase: status === 'active' ? { start, end } : null,
      });
      sub.schedule = schedule.id;
      return { sub, schedule };
    }
    const byId = new Map(Object.values(PRICES).map((p) => [p.id, p.lookup_key]));
    const resolvePriceLookupKey = (id: string) => (byId.has(id) ? byId.get(id) : undefined);

    it.each([
      [
        'pro → unlimited (lower plan)',
        PRICES.proMonthly,
        PRICES.monthly,
        { plan: 'unlimited', interval: 'month' },
      ],
      [
        'annual → monthly (shorter interval)',
        PRICES.annual,
        PRICES.monthly,
        { plan: 'unlimited', interval: 'month' },
      ],
      [
        'pro annual → unlimited annual',
        PRICES.proAnnual,
        PRICES.annual,
        { plan: 'unlimited', interval: 'year' },
      ],
    ])('%s is pending from the phase start', (_n, current, next, expected) => {
      const { sub, schedule } = scheduled(current, next.id);
      const { snapshot } = snapshotOf(sub, { schedule, resolvePriceLookupKey });
      expect(snapshot.pendingChange).toEqual({ ...expected, effectiveAt: new Date(end * 1000) });
      expect(snapshot.plan).toBe(resolveProduct(current.lookup_key!)!.plan);
    });

    it('reads an expanded price object of the next phase without a resolver', () => {
      const { sub, schedule } = scheduled(PRICES.proMonthly, PRICES.monthly);
      expect(snapshotOf(sub, { schedule }).snapshot.pendingChange).toMatchObject({
        plan: 'unlimited',
      });
    });

    it.each([
      ['upgrade at the next phase', PRICES.monthly, PRICES.proMonthly],
      ['longer interval', PRICES.monthly, PRICES.annual],
      ['same price', PRICES.monthly, PRICES.monthly],
    ])('%s is not a pending downgrade', (_n, current, next) => {
      const { sub, schedule } = scheduled(current, next.id);
      expect(
        snapshotOf(sub, { schedule, resolvePriceLookupKey }).snapshot.pendingChange,
      ).toBeNull();
    });

    it('a released schedule, or one the subscription no longer points at, schedules nothing', () => {
      const { sub, schedule } = scheduled(PRICES.proMonthly, PRICES.monthly.id, 'released');
      expect(
        snapshotOf(sub, { schedule, resolvePriceLookupKey }).snapshot.pendingChange,
      ).toBeNull();
      const other = scheduled(PRICES.proMonthly, PRICES.monthly.id);
      other.sub.schedule = null;
      expect(
        snapshotOf(other.sub, { schedule: other.schedule, resolvePriceLookupKey }).snapshot
          .pendingChange,
      ).toBeNull();
    });

    it('notes a next-phase price it cannot resolve, or one that maps to no plan', () => {
      const unresolved = scheduled(PRICES.proMonthly, 'price_unknown');
      const r1 = snapshotOf(unresolved.sub, {
        schedule: unresolved.schedule,
        resolvePriceLookupKey,
      });
      expect(r1.snapshot.pendingChange).toBeNull();
      expect(r1.notes).toEqual([expect.objectContaining({ code: 'pending_price_unresolved' })]);
      const unknown = scheduled(PRICES.proMonthly, PRICES.legacy.id);
      const r2 = snapshotOf(unknown.sub, { schedule: unknown.schedule, resolvePriceLookupKey });
      expect(r2.notes).toEqual([expect.objectContaining({ code: 'pending_price_unknown' })]);
    });

    it('nextSchedulePhase uses the current phase boundary, else the observation time', () => {
      const { schedule } = scheduled(PRICES.proMonthly, PRICES.monthly.id);
      expect(nextSchedulePhase(schedule, NOW)?.start_date).toBe(end);
      const noCurrent = { ...schedule, current_phase: null };
      expect(nextSchedulePhase(noCurrent, NOW)?.start_date).toBe(end);
      expect(nextSchedulePhase(noCurrent, new Date((end + 10) * 1000))).toBeNull();
    });
  });

  it('isScheduledDowngrade: lower plan or shorter interval', () => {
    const p = (plan: ProductMatch['plan'], interval: ProductMatch['interval']): ProductMatch => ({
      plan,
      interval,
    });
    expect(isScheduledDowngrade(p('unlimited_pro', 'month'), p('unlimited', 'month'))).toBe(true);
    expect(isScheduledDowngrade(p('unlimited', 'year'), p('unlimited', 'month'))).toBe(true);
    expect(isScheduledDowngrade(p('unlimited', 'month'), p('unlimited_pro', 'month'))).toBe(false);
    expect(isScheduledDowngrade(p('unlimited', 'month'), p('unlimited', 'year'))).toBe(false);
  });
});

describe('linking helpers', () => {
  it.each([
    [{ account_id: 'acct-9' }, 'acct-9'],
    [{ account_id: '  acct-9 ' }, 'acct-9'],
    [{ account_id: '' }, null],
    [{ other: 'x' }, null],
    [{ account_id: 'x'.repeat(129) }, null],
    [null, null],
  ])('accountIdFromMetadata(%j) → %j', (metadata, expected) => {
    expect(accountIdFromMetadata(metadata)).toBe(expected);
  });

  const sub = subscription();
  const invoice = buildInvoice({
    customer: 'cus_1',
    subscription: sub.id,
    subscriptionItem: sub.items.data[0].id,
    price: PRICES.monthly,
    amount: 2000,
    periodStart: T,
    periodEnd: addInterval(T, 'month'),
    created: T,
    status: 'paid',
    billingReason: 'subscription_cycle',
  });

  it('finds the invoice subscription in parent.subscription_details (and the legacy field)', () => {
    expect(invoiceSubscriptionId(invoice)).toBe(sub.id);
    const legacy = { ...wireCopy(invoice), parent: null, subscription: 'sub_legacy' };
    expect(invoiceSubscriptionId(legacy as unknown as Stripe.Invoice)).toBe('sub_legacy');
  });

  it("reads the paid-through time from the subscription lines' period, not the invoice period", () => {
    expect(invoicePaidThrough(invoice)).toEqual(new Date(addInterval(T, 'month') * 1000));
  });
});

describe('refund and dispute policy', () => {
  it.each([
    [2000, 2000, true],
    [2000, 1999, false],
    [2000, 0, false],
  ])('amount %d refunded %d → full: %s', (amount, refunded, full) => {
    const charge = buildCharge({
      customer: 'cus_1',
      paymentIntent: 'pi_1',
      paymentMethod: null,
      amount,
      amountRefunded: refunded,
      created: T,
    });
    expect(isFullRefund(charge)).toBe(full);
  });

  const created: Array<[string, DisputeAction['kind']]> = [
    ['warning_needs_response', 'ignored'],
    ['warning_under_review', 'ignored'],
    ['warning_closed', 'ignored'],
    ['needs_response', 'suspend'],
    ['under_review', 'suspend'],
    ['won', 'ignored'],
    ['lost', 'revoke_and_lift'],
    ['prevented', 'ignored'],
    ['appeal_needs_response', 'suspend'],
    ['appeal_under_review', 'suspend'],
  ];
  const closed: Array<[string, DisputeAction['kind']]> = [
    ['warning_needs_response', 'ignored'],
    ['warning_under_review', 'ignored'],
    ['warning_closed', 'lift'],
    ['needs_response', 'ignored'],
    ['under_review', 'ignored'],
    ['won', 'lift'],
    ['lost', 'revoke_and_lift'],
    ['prevented', 'lift'],
    ['appeal_needs_response', 'ignored'],
    ['appeal_under_review', 'ignored'],
  ];

  it('lists every dispute status for both phases', () => {
    expect(created.map(([s]) => s).sort()).toEqual([...STRIPE_DISPUTE_STATUSES].sort());
    expect(closed.map(([s]) => s).sort()).toEqual([...STRIPE_DISPUTE_STATUSES].sort());
  });

  it.each(created)('charge.dispute.created with %s → %s', (status, kind) => {
    expect(disputeAction('created', status).kind).toBe(kind);
  });

  it.each(closed)('charge.dispute.closed with %s → %s', (status, kind) => {
    expect(disputeAction('closed', status).kind).toBe(kind);
  });

  it('an unknown status suspends when opened and changes nothing when closed', () => {
    expect(disputeAction('created', 'brand_new').kind).toBe('suspend');
    expect(disputeAction('closed', 'brand_new').kind).toBe('ignored');
  });
});
