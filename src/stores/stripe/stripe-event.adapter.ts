/**
 * Stripe → our model, as pure functions over plain data: no NestJS, no database, no clock.
 *
 * A Stripe event is first *routed* (which object it carries and what it can change), then the
 * handler gathers the newest objects it knows (from the payload, its local mirror or the API) and
 * *builds* a full `SubscriptionSnapshot` from them, or decides an account action (refund, dispute).
 * Field names follow the current API version (`items.data[].current_period_end`,
 * `invoice.parent.subscription_details.subscription`, `cancel_at` in flexible billing mode).
 */
import type Stripe from 'stripe';
import {
  BILLING_INTERVALS,
  PLAN_IDS,
  type BillingInterval,
  type PendingChange,
  type PlanId,
  type PrimaryState,
  type SubscriptionSnapshot,
} from '../../entitlements/domain/subscription-snapshot';

export interface ProductMatch {
  plan: PlanId;
  interval: BillingInterval;
}

/** The product map for Stripe: a price `lookup_key` → (plan, interval), or null when unknown. */
export type ResolveProduct = (lookupKey: string) => ProductMatch | null;

/**
 * A price referenced by id only (schedule phases in webhook payloads) → its lookup_key:
 * a string when known, null when the price has no lookup_key, undefined when the price is unknown.
 */
export type ResolvePriceLookupKey = (priceId: string) => string | null | undefined;

// ---------------------------------------------------------------------------------------------
// Subscription status

export const STRIPE_SUBSCRIPTION_STATUSES = [
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'paused',
  'canceled',
  'incomplete',
  'incomplete_expired',
] as const;
export type StripeSubscriptionStatus = (typeof STRIPE_SUBSCRIPTION_STATUSES)[number];

export function isKnownSubscriptionStatus(value: string): value is StripeSubscriptionStatus {
  return (STRIPE_SUBSCRIPTION_STATUSES as readonly string[]).includes(value);
}

/** STATE-MAPPING.md, Stripe table. A status added by Stripe is a compile error here. */
export function mapSubscriptionStatus(status: StripeSubscriptionStatus): PrimaryState {
  switch (status) {
    case 'trialing':
      return 'trial';
    case 'active':
      return 'active';
    case 'past_due':
    case 'unpaid':
      // Stripe is retrying (past_due) or gave up retrying but keeps the subscription (unpaid).
      return 'past_due';
    case 'paused':
      return 'paused';
    case 'canceled':
    case 'incomplete_expired':
      return 'expired';
    case 'incomplete':
      return 'incomplete';
    default: {
      const unreachable: never = status;
      throw new Error(`unmapped Stripe subscription status ${String(unreachable)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Event routing

/** Every event type the service acts on; anything else is stored and acknowledged as ignored. */
export const STRIPE_HANDLED_EVENT_TYPES = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice_payment.paid',
  'subscription_schedule.created',
  'subscription_schedule.updated',
  'subscription_schedule.released',
  'subscription_schedule.canceled',
  'subscription_schedule.completed',
  'subscription_schedule.aborted',
  'subscription_schedule.expiring',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.closed',
] as const;
export type StripeHandledEventType = (typeof STRIPE_HANDLED_EVENT_TYPES)[number];

export function isHandledEventType(type: string): type is StripeHandledEventType {
  return (STRIPE_HANDLED_EVENT_TYPES as readonly string[]).includes(type);
}

/** The verified event fields routing needs (see `VerifiedStripeEvent`). */
export interface StripeEventInput {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

export type StripeEventRoute =
  | { kind: 'subscription'; subscription: Stripe.Subscription }
  | { kind: 'invoice'; invoice: Stripe.Invoice; subscriptionId: string | null }
  | { kind: 'invoice_payment'; invoicePayment: Stripe.InvoicePayment }
  | { kind: 'schedule'; schedule: Stripe.SubscriptionSchedule; subscriptionId: string | null }
  | { kind: 'refund'; charge: Stripe.Charge }
  | { kind: 'dispute'; phase: 'created' | 'closed'; dispute: Stripe.Dispute }
  /** Stored and acknowledged; nothing to change. */
  | { kind: 'ignored'; note: string }
  /** Verified, but the content cannot be used (wrong object, missing fields): stored and reported. */
  | { kind: 'unusable'; code: string; note: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An expandable reference (`"sub_123"` or `{id: "sub_123", ...}`) → its id. */
export function refId(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (isRecord(value) && typeof value.id === 'string' && value.id.length > 0) return value.id;
  return null;
}

function unusable(code: string, note: string): StripeEventRoute {
  return { kind: 'unusable', code, note };
}

function expectObject(
  object: Record<string, unknown>,
  expected: string,
  type: string,
): StripeEventRoute | null {
  if (object.object !== expected || typeof object.id !== 'string') {
    return unusable(
      'unexpected_object',
      `${type} carries ${String(object.object)} instead of a ${expected}`,
    );
  }
  return null;
}

/** Checks the subscription fields the snapshot reads; the rest is trusted (signed by Stripe). */
export function subscriptionProblem(object: Record<string, unknown>): string | null {
  if (object.object !== 'subscription' || typeof object.id !== 'string') {
    return 'not a subscription object';
  }
  if (typeof object.status !== 'string') return 'subscription.status is missing';
  const items = isRecord(object.items) ? object.items.data : undefined;
  if (!Array.isArray(items) || items.length === 0) return 'subscription.items.data is empty';
  for (const item of items) {
    if (!isRecord(item) || !isRecord(item.price) || typeof item.price.id !== 'string') {
      return 'a subscription item has no price object';
    }
    if (
      typeof item.current_period_end !== 'number' &&
      typeof object.current_period_end !== 'number'
    ) {
      return 'a subscription item has no current_period_end (API version too old?)';
    }
  }
  return null;
}

/** Which object an event carries and what it may change. Exhaustive over the handled types. */
export function routeStripeEvent(event: StripeEventInput): StripeEventRoute {
  const type = event.type;
  if (!isHandledEventType(type)) return { kind: 'ignored', note: `event type ${type} is not used` };
  const object = event.data.object;
  switch (type) {
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
    case 'customer.subscription.paused':
    case 'customer.subscription.resumed':
    case 'customer.subscription.trial_will_end': {
      const problem = subscriptionProblem(object);
      if (problem) return unusable('malformed_subscription', `${type}: ${problem}`);
      return { kind: 'subscription', subscription: object as unknown as Stripe.Subscription };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const wrong = expectObject(object, 'invoice', type);
      if (wrong) return wrong;
      const invoice = object as unknown as Stripe.Invoice;
      return { kind: 'invoice', invoice, subscriptionId: invoiceSubscriptionId(invoice) };
    }
    case 'invoice_payment.paid': {
      const wrong = expectObject(object, 'invoice_payment', type);
      if (wrong) return wrong;
      return {
        kind: 'invoice_payment',
        invoicePayment: object as unknown as Stripe.InvoicePayment,
      };
    }
    case 'subscription_schedule.created':
    case 'subscription_schedule.updated':
    case 'subscription_schedule.released':
    case 'subscription_schedule.canceled':
    case 'subscription_schedule.completed':
    case 'subscription_schedule.aborted':
    case 'subscription_schedule.expiring': {
      const wrong = expectObject(object, 'subscription_schedule', type);
      if (wrong) return wrong;
      const schedule = object as unknown as Stripe.SubscriptionSchedule;
      // A released schedule no longer names its subscription; it names the one it let go.
      const subscriptionId = refId(schedule.subscription) ?? schedule.released_subscription ?? null;
      return { kind: 'schedule', schedule, subscriptionId };
    }
    case 'charge.refunded': {
      const wrong = expectObject(object, 'charge', type);
      if (wrong) return wrong;
      return { kind: 'refund', charge: object as unknown as Stripe.Charge };
    }
    case 'charge.dispute.created':
    case 'charge.dispute.closed': {
      const wrong = expectObject(object, 'dispute', type);
      if (wrong) return wrong;
      return {
        kind: 'dispute',
        phase: type === 'charge.dispute.created' ? 'created' : 'closed',
        dispute: object as unknown as Stripe.Dispute,
      };
    }
    default: {
      const unreachable: never = type;
      return { kind: 'ignored', note: `event type ${String(unreachable)} is not used` };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Linking

const MAX_ACCOUNT_ID_LENGTH = 128;

/** `metadata.account_id`, trimmed; null when absent, empty or absurdly long. */
export function accountIdFromMetadata(metadata: unknown): string | null {
  if (!isRecord(metadata)) return null;
  const value = metadata.account_id;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= MAX_ACCOUNT_ID_LENGTH ? trimmed : null;
}

/** The subscription an invoice bills (`parent.subscription_details.subscription`). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  const fromParent = refId(invoice.parent?.subscription_details?.subscription);
  if (fromParent) return fromParent;
  // Before the 2025-03-31 API version the field sat on the invoice itself.
  const legacy: unknown = (invoice as unknown as Record<string, unknown>).subscription;
  return refId(legacy);
}

/** The end of the service period an invoice paid for (its subscription lines' period end). */
export function invoicePaidThrough(invoice: Stripe.Invoice): Date | null {
  const lines = invoice.lines?.data ?? [];
  let end: number | null = null;
  for (const line of lines) {
    const isSubscriptionLine =
      line.parent?.type === 'subscription_item_details' || refId(line.subscription) !== null;
    if (!isSubscriptionLine || typeof line.period?.end !== 'number') continue;
    end = end === null ? line.period.end : Math.max(end, line.period.end);
  }
  if (end === null && typeof invoice.period_end === 'number' && invoice.period_end > 0) {
    end = invoice.period_end;
  }
  return end === null ? null : fromUnix(end);
}

// ---------------------------------------------------------------------------------------------
// Snapshot

export function fromUnix(seconds: number): Date {
  return new Date(seconds * 1000);
}

function optionalUnix(seconds: unknown): Date | null {
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? fromUnix(seconds)
    : null;
}

function planRank(plan: PlanId): number {
  return PLAN_IDS.indexOf(plan);
}

function intervalRank(interval: BillingInterval): number {
  return BILLING_INTERVALS.indexOf(interval);
}

/** Downgrades are scheduled (lower plan, or a shorter interval); upgrades apply at once. */
export function isScheduledDowngrade(current: ProductMatch, next: ProductMatch): boolean {
  if (planRank(next.plan) < planRank(current.plan)) return true;
  return intervalRank(next.interval) < intervalRank(current.interval);
}

export interface SnapshotNote {
  code: 'unknown_price' | 'pending_price_unresolved' | 'pending_price_unknown' | 'unknown_status';
  detail: string;
}

export interface StripeSnapshotInput {
  subscription: Stripe.Subscription;
  /** When this picture was true: event.created, or the re-fetch time. */
  observedAt: Date;
  accountId: string | null;
  sourceEvent: string;
  resolveProduct: ResolveProduct;
  /** The subscription's schedule (`subscription.schedule`), when known. */
  schedule?: Stripe.SubscriptionSchedule | null;
  resolvePriceLookupKey?: ResolvePriceLookupKey;
  /** Sticky revocation already decided for this subscription (full refund, lost dispute). */
  revokedThrough?: Date | null;
  paymentFingerprint?: string | null;
}

export type StripeSnapshotResult =
  | { ok: true; snapshot: SubscriptionSnapshot; notes: SnapshotNote[] }
  | { ok: false; code: 'unknown_status' | 'malformed_subscription'; note: string };

interface ItemView {
  lookupKey: string | null;
  priceId: string;
  product: ProductMatch | null;
  periodStart: number | null;
  periodEnd: number | null;
}

function itemViews(subscription: Stripe.Subscription, resolveProduct: ResolveProduct): ItemView[] {
  const legacy = subscription as unknown as Record<string, unknown>;
  return subscription.items.data.map((item) => {
    const lookupKey = item.price.lookup_key ?? null;
    return {
      lookupKey,
      priceId: item.price.id,
      product: lookupKey ? resolveProduct(lookupKey) : null,
      periodStart:
        typeof item.current_period_start === 'number'
          ? item.current_period_start
          : typeof legacy.current_period_start === 'number'
            ? legacy.current_period_start
            : null,
      periodEnd:
        typeof item.current_period_end === 'number'
          ? item.current_period_end
          : typeof legacy.current_period_end === 'number'
            ? legacy.current_period_end
            : null,
    };
  });
}

/** The item that grants the plan: the best mapped plan, else the first item (unknown product). */
function primaryItem(items: ItemView[]): ItemView {
  const mapped = items.filter((i) => i.product !== null);
  if (mapped.length === 0) return items[0];
  return mapped.reduce((best, i) =>
    planRank(i.product!.plan) > planRank(best.product!.plan) ||
    (planRank(i.product!.plan) === planRank(best.product!.plan) &&
      intervalRank(i.product!.interval) > intervalRank(best.product!.interval))
      ? i
      : best,
  );
}

function phasePrice(
  item: Stripe.SubscriptionSchedule.Phase.Item,
  resolvePriceLookupKey: ResolvePriceLookupKey | undefined,
): { priceId: string | null; lookupKey: string | null | undefined } {
  const price: unknown = item.price;
  if (isRecord(price)) {
    const lookupKey = typeof price.lookup_key === 'string' ? price.lookup_key : null;
    return { priceId: refId(price), lookupKey };
  }
  const priceId = refId(price);
  if (!priceId) return { priceId: null, lookupKey: undefined };
  return { priceId, lookupKey: resolvePriceLookupKey ? resolvePriceLookupKey(priceId) : undefined };
}

/** The phase that follows the current one of an active schedule, if any. */
export function nextSchedulePhase(
  schedule: Stripe.SubscriptionSchedule,
  observedAt: Date,
): Stripe.SubscriptionSchedule.Phase | null {
  if (schedule.status !== 'active') return null;
  const phases = [...(schedule.phases ?? [])].sort((a, b) => a.start_date - b.start_date);
  const currentEnd = schedule.current_phase?.end_date;
  const boundary =
    typeof currentEnd === 'number' ? currentEnd : Math.floor(observedAt.getTime() / 1000) + 1;
  return phases.find((p) => p.start_date >= boundary) ?? null;
}

function pendingChangeFrom(
  input: StripeSnapshotInput,
  current: ProductMatch | null,
  notes: SnapshotNote[],
): PendingChange | null {
  const { schedule, subscription } = input;
  if (!schedule || !current) return null;
  // Only the schedule that currently governs this subscription counts.
  if (refId(subscription.schedule) !== schedule.id) return null;
  if (refId(schedule.subscription) !== subscription.id) return null;
  const next = nextSchedulePhase(schedule, input.observedAt);
  if (!next) return null;
  for (const item of next.items ?? []) {
    const { priceId, lookupKey } = phasePrice(item, input.resolvePriceLookupKey);
    if (lookupKey === undefined) {
      notes.push({
        code: 'pending_price_unresolved',
        detail: `schedule ${schedule.id}: price ${priceId ?? '?'} of the next phase is not known yet`,
      });
      continue;
    }
    const product = lookupKey ? input.resolveProduct(lookupKey) : null;
    if (!product) {
      notes.push({
        code: 'pending_price_unknown',
        detail: `schedule ${schedule.id}: the next phase's price ${lookupKey ?? priceId ?? '?'} maps to no plan`,
      });
      continue;
    }
    if (!isScheduledDowngrade(current, product)) return null;
    return {
      plan: product.plan,
      interval: product.interval,
      effectiveAt: fromUnix(next.start_date),
    };
  }
  return null;
}

function isCollectionPaused(subscription: Stripe.Subscription, observedAt: Date): boolean {
  const pause = subscription.pause_collection;
  if (!pause) return false;
  return pause.resumes_at === null || pause.resumes_at * 1000 > observedAt.getTime();
}

/**
 * A full snapshot of one Stripe subscription. Status per STATE-MAPPING.md, plus one refinement:
 * paused payment collection counts as paused (nothing is being paid). The store's picture is kept
 * as is otherwise: a trial scheduled to cancel stays `trial` with `cancelAtPeriodEnd` (the
 * entitlement rules end its access at once) and a revocation travels in `revokedThrough`
 * (sticky in the stored state), so every rule lives in one place.
 */
export function buildStripeSnapshot(input: StripeSnapshotInput): StripeSnapshotResult {
  const { subscription, observedAt } = input;
  const problem = subscriptionProblem(subscription as unknown as Record<string, unknown>);
  if (problem) return { ok: false, code: 'malformed_subscription', note: problem };
  if (!isKnownSubscriptionStatus(subscription.status)) {
    return {
      ok: false,
      code: 'unknown_status',
      note: `subscription ${subscription.id} has unknown status ${subscription.status}`,
    };
  }
  const notes: SnapshotNote[] = [];
  const items = itemViews(subscription, input.resolveProduct);
  const primary = primaryItem(items);
  if (!primary.product) {
    notes.push({
      code: 'unknown_price',
      detail: `subscription ${subscription.id}: price ${primary.lookupKey ?? primary.priceId} maps to no plan`,
    });
  }

  const cancelAt = optionalUnix(subscription.cancel_at);
  const cancelScheduled = subscription.cancel_at_period_end === true || cancelAt !== null;
  let periodEnd = primary.periodEnd !== null ? fromUnix(primary.periodEnd) : null;
  // A cancel_at before the period end (set through the API) is when access stops.
  if (cancelAt && periodEnd && cancelAt < periodEnd) periodEnd = cancelAt;
  const revokedThrough = input.revokedThrough ?? null;

  let status = mapSubscriptionStatus(subscription.status);
  if ((status === 'active' || status === 'trial') && isCollectionPaused(subscription, observedAt)) {
    status = 'paused';
  }

  const fingerprint = input.paymentFingerprint ?? null;
  const snapshot: SubscriptionSnapshot = {
    store: 'stripe',
    storeSubscriptionId: subscription.id,
    accountId: input.accountId,
    observedAt,
    status,
    plan: primary.product?.plan ?? null,
    interval: primary.product?.interval ?? null,
    productId: primary.lookupKey ?? primary.priceId,
    currentPeriodStart: primary.periodStart !== null ? fromUnix(primary.periodStart) : null,
    currentPeriodEnd: periodEnd,
    trialEnd: optionalUnix(subscription.trial_end),
    cancelAtPeriodEnd: cancelScheduled,
    pendingChange: pendingChangeFrom(input, primary.product, notes),
    gracePeriodEnd: null,
    sandbox: subscription.livemode !== true,
    revokedThrough,
    supersedes: null,
    ...(fingerprint ? { trialSignals: { paymentFingerprint: fingerprint } } : {}),
    sourceEvent: input.sourceEvent,
  };
  return { ok: true, snapshot, notes };
}

// ---------------------------------------------------------------------------------------------
// Refunds and disputes (account actions)

/** A charge counts as fully refunded when Stripe says so or the refunded amount covers it. */
export function isFullRefund(charge: Stripe.Charge): boolean {
  if (charge.refunded === true) return true;
  const captured =
    typeof charge.amount_captured === 'number' ? charge.amount_captured : charge.amount;
  return captured > 0 && charge.amount_refunded >= captured;
}

export const STRIPE_DISPUTE_STATUSES = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'won',
  'lost',
  'prevented',
  'appeal_needs_response',
  'appeal_under_review',
] as const;
export type StripeDisputeStatus = (typeof STRIPE_DISPUTE_STATUSES)[number];

export type DisputeAction =
  /** A chargeback while keeping access: suspend the account until the dispute closes. */
  | { kind: 'suspend' }
  /** Closed in the merchant's favour (or never became a chargeback): lift that suspension. */
  | { kind: 'lift' }
  /** Lost: the disputed period is revoked, and the review suspension is lifted. */
  | { kind: 'revoke_and_lift' }
  | { kind: 'ignored'; note: string };

/**
 * Policy for `charge.dispute.created` / `charge.dispute.closed`. Inquiries (`warning_*`) are not
 * chargebacks and change nothing until they become one.
 */
export function disputeAction(phase: 'created' | 'closed', status: string): DisputeAction {
  if (!(STRIPE_DISPUTE_STATUSES as readonly string[]).includes(status)) {
    return phase === 'closed'
      ? { kind: 'ignored', note: `dispute closed with unknown status ${status}` }
      : { kind: 'suspend' };
  }
  const known = status as StripeDisputeStatus;
  switch (known) {
    case 'warning_needs_response':
    case 'warning_under_review':
      return { kind: 'ignored', note: `inquiry (${known}) is not a chargeback` };
    case 'needs_response':
    case 'under_review':
    case 'appeal_needs_response':
    case 'appeal_under_review':
      return phase === 'created'
        ? { kind: 'suspend' }
        : { kind: 'ignored', note: `dispute closed while still ${known}` };
    case 'won':
    case 'warning_closed':
    case 'prevented':
      return phase === 'closed'
        ? { kind: 'lift' }
        : { kind: 'ignored', note: `dispute created already ${known}` };
    case 'lost':
      return { kind: 'revoke_and_lift' };
    default: {
      const unreachable: never = known;
      return { kind: 'ignored', note: `dispute status ${String(unreachable)}` };
    }
  }
}

/** The reason recorded on an account suspended for a dispute (also used to lift exactly it). */
export function disputeSuspensionReason(disputeId: string): string {
  return `stripe_dispute:${disputeId}`;
}
