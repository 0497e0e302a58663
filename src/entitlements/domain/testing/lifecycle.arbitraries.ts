import fc from 'fast-check';
import type { EntitlementPolicy } from '../entitlement-policy';
import type {
  BillingInterval,
  PendingChange,
  PlanId,
  PrimaryState,
  Store,
  SubscriptionSnapshot,
} from '../subscription-snapshot';
import { DAY, HOUR, MINUTE, T0 } from './snapshot.builder';

/**
 * Generators of realistic subscription lifecycles for property specs: a script (start, then a
 * list of step choices and delays) is played by a small simulator of a store, which emits the
 * full snapshot the store would give after each step. Shrinking works on the script.
 */

export type LifecycleEvent =
  | 'start'
  | 'convert'
  | 'cancel_trial'
  | 'reactivate_trial'
  | 'trial_lapses'
  | 'renew'
  | 'cancel'
  | 'reactivate'
  | 'schedule_downgrade'
  | 'change_downgrade'
  | 'withdraw_downgrade'
  | 'upgrade'
  | 'payment_failed'
  | 'recover'
  | 'billing_gives_up'
  | 'period_ends_canceled'
  | 'refund_paid_time'
  | 'refund_revoke'
  | 'refund_reversed'
  | 'pause'
  | 'resume'
  | 'resubscribe'
  | 'transfer'
  | 'unlinked_notice'
  | 'noise';

export interface LifecycleScript {
  store: Store;
  storeSubscriptionId: string;
  accountId: string;
  /** Minutes after `T0`. */
  startMinutes: number;
  withTrial: boolean;
  plan: PlanId;
  interval: BillingInterval;
  sandbox: boolean;
  unknownProduct: boolean;
  steps: { choice: number; delayMinutes: number }[];
}

export interface Lifecycle {
  script: LifecycleScript;
  /** Snapshots in the order the store produced them (non-decreasing `observedAt`). */
  snapshots: SubscriptionSnapshot[];
  /** The event that produced each snapshot. */
  events: LifecycleEvent[];
}

interface Model {
  t: number;
  status: PrimaryState;
  plan: PlanId;
  interval: BillingInterval;
  start: number | null;
  end: number | null;
  trialEnd: number | null;
  cancel: boolean;
  pending: { plan: PlanId; interval: BillingInterval; effectiveAt: number } | null;
  grace: number | null;
  revokedThrough: number | null;
  accountId: string | null;
}

function periodMs(interval: BillingInterval): number {
  return interval === 'year' ? 365 * DAY : 30 * DAY;
}

function lowerTarget(model: Model): { plan: PlanId; interval: BillingInterval } | null {
  if (model.plan === 'unlimited_pro') return { plan: 'unlimited', interval: model.interval };
  if (model.interval === 'year') return { plan: 'unlimited', interval: 'month' };
  return null;
}

function applicable(model: Model, script: LifecycleScript): LifecycleEvent[] {
  const known = !script.unknownProduct;
  switch (model.status) {
    case 'trial':
      return model.cancel
        ? ['reactivate_trial', 'trial_lapses', 'noise']
        : ['convert', 'convert', 'cancel_trial', 'payment_failed', 'noise', 'unlinked_notice'];
    case 'active': {
      const events: LifecycleEvent[] = ['renew', 'noise', 'refund_paid_time', 'refund_revoke'];
      if (model.cancel) events.push('reactivate', 'period_ends_canceled');
      else events.push('cancel', 'payment_failed', 'pause', 'renew');
      if (known && model.pending === null && lowerTarget(model) !== null) {
        events.push('schedule_downgrade');
      }
      if (known && model.pending !== null) events.push('withdraw_downgrade', 'change_downgrade');
      if (known && model.plan === 'unlimited') events.push('upgrade');
      events.push('transfer', 'unlinked_notice');
      return events;
    }
    case 'past_due':
      return ['recover', 'billing_gives_up', 'noise'];
    case 'paused':
      return ['resume', 'noise'];
    case 'expired':
      return ['resubscribe', 'noise'];
    case 'revoked':
      return ['refund_reversed', 'resubscribe', 'noise'];
    case 'incomplete':
      return ['noise'];
    default: {
      const unknown: never = model.status;
      throw new Error(`unmapped status ${String(unknown)}`);
    }
  }
}

function startPeriod(model: Model, at: number): void {
  model.start = at;
  model.end = at + periodMs(model.interval);
}

/** Plays one event on the model (mutates it). */
function play(model: Model, event: LifecycleEvent): void {
  switch (event) {
    case 'start':
    case 'noise':
    case 'unlinked_notice':
      return;
    case 'convert':
      model.t = Math.max(model.t, model.trialEnd ?? model.t);
      model.status = 'active';
      startPeriod(model, model.trialEnd ?? model.t);
      return;
    case 'cancel_trial':
      model.cancel = true;
      return;
    case 'reactivate_trial':
    case 'reactivate':
      model.cancel = false;
      return;
    case 'trial_lapses':
      model.t = Math.max(model.t, model.trialEnd ?? model.t);
      model.status = 'expired';
      return;
    case 'renew':
      model.t = Math.max(model.t, model.end ?? model.t);
      if (model.pending !== null) {
        model.plan = model.pending.plan;
        model.interval = model.pending.interval;
        model.pending = null;
      }
      startPeriod(model, model.end ?? model.t);
      model.grace = null;
      return;
    case 'cancel':
      model.cancel = true;
      return;
    case 'schedule_downgrade':
    case 'change_downgrade': {
      const target = lowerTarget(model) ?? { plan: 'unlimited', interval: 'month' };
      const alternative: { plan: PlanId; interval: BillingInterval } =
        event === 'change_downgrade' && model.pending?.interval === target.interval
          ? { plan: target.plan, interval: target.interval === 'year' ? 'month' : 'year' }
          : target;
      model.pending = { ...alternative, effectiveAt: model.end ?? model.t };
      return;
    }
    case 'withdraw_downgrade':
      model.pending = null;
      return;
    case 'upgrade':
      // Apple-style: the new plan starts now with a new period.
      model.plan = 'unlimited_pro';
      model.pending = null;
      startPeriod(model, model.t);
      return;
    case 'payment_failed':
      // Stripe-style: the period advances and the invoice stays open.
      model.t = Math.max(model.t, model.end ?? model.t);
      model.status = 'past_due';
      startPeriod(model, model.end ?? model.t);
      model.grace = (model.start ?? model.t) + 7 * DAY;
      return;
    case 'recover':
      model.status = 'active';
      model.grace = null;
      return;
    case 'billing_gives_up':
      model.t = Math.max(model.t, model.grace ?? model.t);
      model.status = 'expired';
      return;
    case 'period_ends_canceled':
      model.t = Math.max(model.t, model.end ?? model.t);
      model.status = 'expired';
      return;
    case 'refund_paid_time':
      // Stripe full refund: paid time revoked; the subscription object itself is unchanged.
      model.revokedThrough = model.end;
      return;
    case 'refund_revoke':
      // Apple / Google refund decision.
      model.status = 'revoked';
      return;
    case 'refund_reversed':
      model.status = 'active';
      return;
    case 'pause':
      model.t = Math.max(model.t, model.end ?? model.t);
      model.status = 'paused';
      return;
    case 'resume':
      model.status = 'active';
      startPeriod(model, model.t);
      return;
    case 'resubscribe':
      model.status = 'active';
      model.cancel = false;
      model.pending = null;
      startPeriod(model, model.t);
      return;
    case 'transfer':
      model.accountId = model.accountId === 'acc_other' ? 'acc_1' : 'acc_other';
      return;
    default: {
      const unknown: never = event;
      throw new Error(`unmapped event ${String(unknown)}`);
    }
  }
}

function date(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

function toSnapshot(
  model: Model,
  script: LifecycleScript,
  event: LifecycleEvent,
): SubscriptionSnapshot {
  const pending: PendingChange | null =
    model.pending === null
      ? null
      : {
          plan: model.pending.plan,
          interval: model.pending.interval,
          effectiveAt: new Date(model.pending.effectiveAt),
        };
  return {
    store: script.store,
    storeSubscriptionId: script.storeSubscriptionId,
    accountId: event === 'unlinked_notice' ? null : model.accountId,
    observedAt: new Date(model.t),
    status: model.status,
    plan: script.unknownProduct ? null : model.plan,
    interval: script.unknownProduct ? null : model.interval,
    productId: script.unknownProduct ? 'legacy_product' : `${model.plan}_${model.interval}`,
    currentPeriodStart: date(model.start),
    currentPeriodEnd: date(model.end),
    trialEnd: date(model.trialEnd),
    cancelAtPeriodEnd: model.cancel,
    pendingChange: script.unknownProduct ? null : pending,
    gracePeriodEnd: date(model.grace),
    sandbox: script.sandbox,
    revokedThrough: date(model.revokedThrough),
    supersedes: null,
    sourceEvent: event,
  };
}

/** Plays a script: the snapshots a store would send, in the order it produced them. */
export function playLifecycle(script: LifecycleScript): Lifecycle {
  const startAt = T0.getTime() + script.startMinutes * MINUTE;
  const model: Model = {
    t: startAt,
    status: script.withTrial ? 'trial' : 'active',
    plan: script.plan,
    interval: script.interval,
    start: startAt,
    end: startAt + (script.withTrial ? 3 * DAY : periodMs(script.interval)),
    trialEnd: script.withTrial ? startAt + 3 * DAY : null,
    cancel: false,
    pending: null,
    grace: null,
    revokedThrough: null,
    accountId: script.accountId,
  };
  const snapshots = [toSnapshot(model, script, 'start')];
  const events: LifecycleEvent[] = ['start'];
  for (const step of script.steps) {
    model.t += step.delayMinutes * MINUTE;
    const options = applicable(model, script);
    const event = options[step.choice % options.length];
    play(model, event);
    snapshots.push(toSnapshot(model, script, event));
    events.push(event);
  }
  return { script, snapshots, events };
}

/** Delays between steps: often zero (same-second ties), minutes, hours or days. */
const delayMinutes = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 120 }),
  fc.integer({ min: 1, max: 48 }).map((hours) => (hours * HOUR) / MINUTE),
  fc.integer({ min: 1, max: 40 }).map((days) => (days * DAY) / MINUTE),
);

export interface LifecycleOptions {
  store?: Store;
  storeSubscriptionId?: string;
  accountId?: string;
  sandbox?: boolean;
  unknownProduct?: boolean;
  maxSteps?: number;
}

/** A lifecycle script; every option not given is generated. */
export function lifecycleScriptArb(options: LifecycleOptions = {}): fc.Arbitrary<LifecycleScript> {
  return fc.record({
    store:
      options.store === undefined
        ? fc.constantFrom<Store>('stripe', 'apple', 'google')
        : fc.constant(options.store),
    storeSubscriptionId: fc.constant(options.storeSubscriptionId ?? 'sub_1'),
    accountId: fc.constant(options.accountId ?? 'acc_1'),
    startMinutes: fc.integer({ min: 0, max: 60 * 24 * 10 }),
    withTrial: fc.boolean(),
    plan: fc.constantFrom<PlanId>('unlimited', 'unlimited_pro'),
    interval: fc.constantFrom<BillingInterval>('month', 'year'),
    sandbox: options.sandbox === undefined ? fc.constant(false) : fc.constant(options.sandbox),
    unknownProduct:
      options.unknownProduct === undefined
        ? fc.constant(false)
        : fc.constant(options.unknownProduct),
    steps: fc.array(fc.record({ choice: fc.nat({ max: 1000 }), delayMinutes }), {
      maxLength: options.maxSteps ?? 14,
    }),
  });
}

/** A played lifecycle. */
export function lifecycleArb(options: LifecycleOptions = {}): fc.Arbitrary<Lifecycle> {
  return lifecycleScriptArb(options).map(playLifecycle);
}

/**
 * A delivery of a lifecycle: every snapshot at least once, some several times, in any order.
 * Returns the indexes into `snapshots`.
 */
export function deliveryOrderArb(count: number): fc.Arbitrary<number[]> {
  if (count === 0) return fc.constant([]);
  return fc
    .tuple(
      fc.array(fc.integer(), { minLength: count, maxLength: count }),
      fc.array(fc.tuple(fc.nat({ max: count - 1 }), fc.integer()), { maxLength: count }),
    )
    .map(([keys, duplicates]) =>
      [
        ...keys.map((key, index) => ({ index, key })),
        ...duplicates.map(([index, key]) => ({ index, key })),
      ]
        .sort((a, b) => a.key - b.key || a.index - b.index)
        .map((entry) => entry.index),
    );
}

/** Policies: leeway 0, a minute or an hour; the other switches as given or generated. */
export function policyArb(
  overrides: Partial<EntitlementPolicy> = {},
): fc.Arbitrary<EntitlementPolicy> {
  return fc.record({
    acceptSandbox:
      overrides.acceptSandbox === undefined ? fc.boolean() : fc.constant(overrides.acceptSandbox),
    expiryLeewaySeconds:
      overrides.expiryLeewaySeconds === undefined
        ? fc.constantFrom(0, 60, 3600)
        : fc.constant(overrides.expiryLeewaySeconds),
    pastDueCovered:
      overrides.pastDueCovered === undefined ? fc.boolean() : fc.constant(overrides.pastDueCovered),
  });
}

/** An instant around a lifecycle: from its start to 800 days later. */
export function instantArb(): fc.Arbitrary<Date> {
  return fc
    .integer({ min: 0, max: 800 * 24 * 60 })
    .map((minutes) => new Date(T0.getTime() + minutes * MINUTE));
}
