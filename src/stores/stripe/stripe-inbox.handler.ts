import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type Stripe from 'stripe';
import { Catalog } from '../../catalog/catalog';
import { Clock } from '../../common/clock';
import { AccountsService } from '../../accounts/accounts.service';
import { EntitlementService } from '../../entitlements/entitlement.service';
import { InboxHandlerRegistry } from '../../inbox/inbox-handler.registry';
import {
  PermanentInboxError,
  type InboxHandler,
  type InboxOutcome,
  type StoredInboxEvent,
} from '../../inbox/inbox.types';
import { MetricsService } from '../../metrics/metrics.service';
import { StripeApiClient } from './stripe-api.client';
import { StripeCustomerLinks } from './stripe-customer-links.service';
import {
  accountIdFromMetadata,
  buildStripeSnapshot,
  disputeAction,
  disputeSuspensionReason,
  invoicePaidThrough,
  invoiceSubscriptionId,
  isFullRefund,
  refId,
  routeStripeEvent,
  type ResolveProduct,
} from './stripe-event.adapter';
import { StripeMetrics } from './stripe-metrics';
import { StripeObjectMirror } from './stripe-object-mirror.service';
import { combinedObservedAt } from './stripe-object-versions';
import { readStripeEvent } from './stripe-webhook.verifier';

/**
 * Events that carry no subscription picture but teach something the pictures need: the account
 * of a customer, a card fingerprint, the lookup_key of a price a schedule names by id.
 */
const LINK_EVENTS = new Set([
  'customer.created',
  'customer.updated',
  'payment_method.attached',
  'payment_method.updated',
  'price.created',
  'price.updated',
]);

/** Dispute statuses after which the dispute is over. */
const CLOSED_DISPUTE_STATUSES = new Set(['won', 'lost', 'warning_closed', 'prevented']);

/** Something that may exist later (an object another event will bring): retry with backoff. */
class NotYetKnownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotYetKnownError';
  }
}

interface RefreshContext {
  sourceEvent: string;
  inboxEventId: string;
  revokedThrough?: Date | null;
}

type RefreshResult = { applied: true; note: string } | { applied: false; note: string };

type InvoiceLookup = { kind: 'found'; invoice: Stripe.Invoice } | { kind: 'none'; note: string };

/**
 * Turns stored Stripe events into entitlement changes. Every subscription change is applied as a
 * full snapshot built from the newest objects known: re-fetched from the API when
 * `STRIPE_SECRET_KEY` is set (that picture wins, observed at the fetch time), else the event
 * payloads kept in the local mirror. Refunds and lost disputes revoke the paid period; open
 * disputes suspend the account until they close.
 */
@Injectable()
export class StripeInboxHandler implements InboxHandler, OnModuleInit {
  readonly store = 'stripe' as const;
  private readonly logger = new Logger(StripeInboxHandler.name);
  private readonly stripeMetrics: StripeMetrics;
  private readonly resolveProduct: ResolveProduct;

  constructor(
    private readonly registry: InboxHandlerRegistry,
    private readonly api: StripeApiClient,
    private readonly mirror: StripeObjectMirror,
    private readonly links: StripeCustomerLinks,
    private readonly entitlements: EntitlementService,
    private readonly accounts: AccountsService,
    private readonly clock: Clock,
    catalog: Catalog,
    metrics: MetricsService,
  ) {
    this.stripeMetrics = new StripeMetrics(metrics);
    this.resolveProduct = (lookupKey) => catalog.product('stripe', lookupKey);
  }

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(stored: StoredInboxEvent): Promise<InboxOutcome> {
    const read = readStripeEvent(stored.payload);
    if (!read.ok) {
      this.stripeMetrics.problem('unusable_event');
      throw new PermanentInboxError(
        'malformed_event',
        `stored Stripe event is unusable: ${read.detail}`,
      );
    }
    const event = read.event;
    const observedAt = new Date(event.created * 1000);
    if (LINK_EVENTS.has(event.type))
      return this.learnLink(event.data.object, observedAt, stored.id, event.type);

    const route = routeStripeEvent(event);
    try {
      switch (route.kind) {
        case 'ignored':
          return { kind: 'ignored', note: route.note };
        case 'unusable':
          this.stripeMetrics.problem('unusable_event');
          this.logger.warn(
            { eventId: event.id, eventType: event.type, code: route.code, note: route.note },
            'Stripe event unusable',
          );
          throw new PermanentInboxError(route.code, route.note);
        case 'subscription': {
          const sub = route.subscription;
          const newest = await this.mirror.put(event.data.object, observedAt);
          const ctx = { sourceEvent: event.type, inboxEventId: stored.id };
          if (!newest && !this.api.enabled) {
            // An older version than the mirror's: its snapshot is stale, but it still carries what
            // this version saw (a paid period, a trial, an account link) into the order-free
            // aggregates, so the final state does not depend on delivery order.
            await this.applyVersion(sub, observedAt, ctx);
          }
          const result = await this.refresh(sub.id, ctx);
          if (!result.applied) throw new NotYetKnownError(result.note);
          return { kind: 'processed', note: result.note };
        }
        case 'invoice': {
          await this.mirror.put(event.data.object, observedAt);
          if (!route.subscriptionId)
            return { kind: 'ignored', note: `invoice ${route.invoice.id} bills no subscription` };
          const result = await this.refresh(route.subscriptionId, {
            sourceEvent: event.type,
            inboxEventId: stored.id,
          });
          // The subscription's own event carries its state; the invoice only confirms it.
          return result.applied
            ? { kind: 'processed', note: result.note }
            : { kind: 'ignored', note: `invoice recorded; ${result.note}` };
        }
        case 'invoice_payment':
          await this.mirror.put(event.data.object, observedAt);
          return { kind: 'processed', note: `invoice payment ${route.invoicePayment.id} recorded` };
        case 'schedule': {
          await this.mirror.put(event.data.object, observedAt);
          if (!route.subscriptionId)
            return {
              kind: 'ignored',
              note: `schedule ${route.schedule.id} governs no subscription`,
            };
          const result = await this.refresh(route.subscriptionId, {
            sourceEvent: event.type,
            inboxEventId: stored.id,
          });
          return result.applied
            ? { kind: 'processed', note: result.note }
            : { kind: 'ignored', note: `schedule recorded; ${result.note}` };
        }
        case 'refund':
          return await this.refund(route.charge, event.type, stored.id);
        case 'dispute':
          await this.mirror.put(event.data.object, observedAt);
          return await this.dispute(route.dispute.id, event.type, stored.id);
        default: {
          const unreachable: never = route;
          throw new PermanentInboxError('unrouted_event', `unrouted ${String(unreachable)}`);
        }
      }
    } catch (error) {
      if (error instanceof NotYetKnownError) {
        this.logger.log(
          { eventId: event.id, eventType: event.type, note: error.message },
          'Stripe event waits for related objects',
        );
      }
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------

  private async learnLink(
    object: Record<string, unknown>,
    observedAt: Date,
    inboxEventId: string,
    type: string,
  ): Promise<InboxOutcome> {
    if (object.object === 'payment_method' || object.object === 'price') {
      await this.mirror.put(object, observedAt);
      return { kind: 'processed', note: `${String(object.object)} ${String(object.id)} recorded` };
    }
    const customerId =
      typeof object.id === 'string' && object.object === 'customer' ? object.id : null;
    const accountId = accountIdFromMetadata(object.metadata);
    if (!customerId || !accountId)
      return { kind: 'ignored', note: `${type}: no account in the customer metadata` };
    const changed = await this.links.link(customerId, accountId, 'customer_metadata', observedAt);
    if (!changed) return { kind: 'processed', note: `customer ${customerId} already linked` };
    // Subscriptions of this customer seen before the link become linked now.
    const notes: string[] = [];
    for (const subscriptionId of await this.mirror.subscriptionIdsOfCustomer(customerId)) {
      const result = await this.refresh(subscriptionId, { sourceEvent: type, inboxEventId });
      notes.push(result.note);
    }
    return {
      kind: 'processed',
      note: [`customer ${customerId} linked to ${accountId}`, ...notes].join('; '),
    };
  }

  private async refresh(subscriptionId: string, ctx: RefreshContext): Promise<RefreshResult> {
    let subscription: Stripe.Subscription | null = null;
    let schedule: Stripe.SubscriptionSchedule | null = null;
    let observedAt: Date | null = null;

    if (this.api.enabled) {
      const fetched = await this.api.retrieveSubscription(subscriptionId);
      if (fetched) {
        const fetchedAt = this.clock.now();
        subscription = fetched;
        observedAt = fetchedAt;
        await this.mirror.put(fetched as unknown as Record<string, unknown>, fetchedAt);
        const scheduleId = refId(fetched.schedule);
        if (scheduleId) {
          schedule = await this.api.retrieveSchedule(scheduleId);
          if (schedule)
            await this.mirror.put(schedule as unknown as Record<string, unknown>, fetchedAt);
        }
      } else {
        this.logger.warn(
          { subscriptionId },
          'Stripe API has no such subscription; using the last picture received',
        );
      }
    }
    if (!subscription) {
      const version = await this.mirror.get(subscriptionId);
      if (!version) return { applied: false, note: `subscription ${subscriptionId} not seen yet` };
      const scheduleVersion = await this.mirror.latestSchedule(subscriptionId);
      subscription = version.data as unknown as Stripe.Subscription;
      schedule =
        (scheduleVersion?.data as unknown as Stripe.SubscriptionSchedule | undefined) ?? null;
      observedAt = combinedObservedAt([version.observedAt, scheduleVersion?.observedAt ?? null]);
    }
    return this.applyVersion(subscription, observedAt!, ctx, schedule);
  }

  /** Builds the snapshot of one subscription version (with its schedule) and applies it. */
  private async applyVersion(
    subscription: Stripe.Subscription,
    observedAt: Date,
    ctx: RefreshContext,
    schedule: Stripe.SubscriptionSchedule | null = null,
  ): Promise<RefreshResult> {
    const subscriptionId = subscription.id;
    const priceKeys = await this.phasePriceKeys(schedule);
    const accountId = await this.accountOf(subscription);
    const paymentFingerprint = await this.fingerprintOf(subscription);

    const built = buildStripeSnapshot({
      subscription,
      observedAt,
      accountId,
      sourceEvent: ctx.sourceEvent,
      resolveProduct: this.resolveProduct,
      schedule,
      resolvePriceLookupKey: (id) => priceKeys.get(id),
      revokedThrough: ctx.revokedThrough ?? null,
      paymentFingerprint,
    });
    if (!built.ok) {
      this.stripeMetrics.problem('unusable_event');
      throw new PermanentInboxError(built.code, built.note);
    }
    for (const note of built.notes) {
      this.stripeMetrics.problem(
        note.code === 'unknown_price' ? 'unknown_price' : 'pending_price_unresolved',
      );
      this.logger.warn(
        { subscriptionId, code: note.code, detail: note.detail },
        'Stripe subscription partly unusable',
      );
    }
    if (accountId === null) {
      this.stripeMetrics.problem('unlinked_subscription');
      this.logger.warn(
        { subscriptionId, customerId: refId(subscription.customer) },
        'Stripe subscription linked to no account (no metadata.account_id on it or its customer); kept unlinked',
      );
    }
    const snapshot = built.snapshot;
    const result = await this.entitlements.apply(snapshot, { inboxEventId: ctx.inboxEventId });
    const parts = [
      `${snapshot.status}${snapshot.plan ? ` ${snapshot.plan}/${snapshot.interval}` : ' (unknown price)'}`,
      accountId ? `account ${accountId}` : 'unlinked',
      result.stale
        ? 'older than the stored picture'
        : `transitions: ${result.transitions.join(', ') || 'none'}`,
      ...built.notes.map((n) => n.detail),
    ];
    return { applied: true, note: parts.join('; ') };
  }

  /** Lookup keys of schedule phase prices given by id (the API read expands them; payloads do not). */
  private async phasePriceKeys(
    schedule: Stripe.SubscriptionSchedule | null,
  ): Promise<Map<string, string | null>> {
    const keys = new Map<string, string | null>();
    for (const phase of schedule?.phases ?? []) {
      for (const item of phase.items ?? []) {
        const price: unknown = item.price;
        if (typeof price !== 'string' || keys.has(price)) continue;
        const known = await this.mirror.get(price);
        if (known) {
          keys.set(price, typeof known.data.lookup_key === 'string' ? known.data.lookup_key : null);
        } else if (this.api.enabled) {
          const fetched = await this.api.retrievePrice(price);
          if (fetched) {
            await this.mirror.put(fetched as unknown as Record<string, unknown>, this.clock.now());
            keys.set(price, fetched.lookup_key);
          }
        }
      }
    }
    return keys;
  }

  /** `metadata.account_id` on the subscription, else the customer's link (or its metadata). */
  private async accountOf(subscription: Stripe.Subscription): Promise<string | null> {
    const customerId = refId(subscription.customer);
    const fromSubscription = accountIdFromMetadata(subscription.metadata);
    if (fromSubscription) {
      if (customerId) {
        await this.links.link(
          customerId,
          fromSubscription,
          'subscription_metadata',
          new Date(subscription.created * 1000),
        );
      }
      return fromSubscription;
    }
    if (!customerId) return null;
    const linked = await this.links.accountFor(customerId);
    if (linked) return linked;
    if (!this.api.enabled) return null;
    const customer = await this.api.retrieveCustomer(customerId);
    const fromCustomer = accountIdFromMetadata(customer?.metadata);
    if (fromCustomer)
      await this.links.link(customerId, fromCustomer, 'customer_metadata', this.clock.now());
    return fromCustomer;
  }

  /** The card fingerprint of a subscription that had a trial (one trial per person). */
  private async fingerprintOf(subscription: Stripe.Subscription): Promise<string | null> {
    if (subscription.trial_end === null && subscription.status !== 'trialing') return null;
    const pmId = refId(subscription.default_payment_method);
    if (!pmId) return null;
    const known = await this.mirror.get(pmId);
    let card: unknown = known?.data.card;
    if (!card && this.api.enabled) {
      const pm = await this.api.retrievePaymentMethod(pmId);
      if (pm) await this.mirror.put(pm as unknown as Record<string, unknown>, this.clock.now());
      card = pm?.card;
    }
    const fingerprint = (card as { fingerprint?: unknown } | undefined)?.fingerprint;
    return typeof fingerprint === 'string' && fingerprint.length > 0 ? fingerprint : null;
  }

  /** Lifts the account's suspension only when it is this dispute's (never an operator's). */
  private async lift(accountId: string, reason: string): Promise<string> {
    const standing = await this.accounts.standing(accountId);
    if (standing.suspension?.reason !== reason) return 'no suspension of this dispute to lift';
    await this.accounts.unsuspend(accountId, `${reason} closed`, 'chargeback');
    return 'suspension lifted';
  }

  /**
   * The invoice a charge paid: invoice payments via the API, else those received as events
   * (`invoice_payment.paid`, `invoice.paid`). Without the API an unknown link is waited for
   * (retry with backoff): the refund or dispute may simply have arrived first. A charge that never
   * turns out to pay an invoice ends failed after the retries, reported, never silently dropped.
   */
  private async invoiceOf(paymentIntentId: string | null): Promise<InvoiceLookup> {
    if (!paymentIntentId)
      return { kind: 'none', note: 'the charge has no PaymentIntent (not an invoice payment)' };
    if (this.api.enabled) {
      const invoiceId = await this.api.invoiceIdForPaymentIntent(paymentIntentId);
      const invoice = invoiceId ? await this.api.retrieveInvoice(invoiceId) : null;
      if (!invoice)
        return { kind: 'none', note: `PaymentIntent ${paymentIntentId} paid no invoice` };
      await this.mirror.put(invoice as unknown as Record<string, unknown>, this.clock.now());
      return { kind: 'found', invoice };
    }
    const known = await this.mirror.invoiceForPaymentIntent(paymentIntentId);
    if (known) return { kind: 'found', invoice: known.data as unknown as Stripe.Invoice };
    throw new NotYetKnownError(
      `the invoice paid by ${paymentIntentId} is not known yet (invoice_payment.paid / invoice.paid pending)`,
    );
  }

  private async refund(
    charge: Stripe.Charge,
    type: string,
    inboxEventId: string,
  ): Promise<InboxOutcome> {
    if (!isFullRefund(charge)) {
      return {
        kind: 'ignored',
        note: `partial refund of ${charge.id}: access unchanged (only a full refund revokes)`,
      };
    }
    const lookup = await this.invoiceOf(refId(charge.payment_intent));
    if (lookup.kind === 'none') return { kind: 'ignored', note: lookup.note };
    return this.revoke(lookup.invoice, type, inboxEventId, `full refund of ${charge.id}`);
  }

  private async revoke(
    invoice: Stripe.Invoice,
    type: string,
    inboxEventId: string,
    why: string,
  ): Promise<InboxOutcome> {
    const subscriptionId = invoiceSubscriptionId(invoice);
    if (!subscriptionId)
      return { kind: 'ignored', note: `${why}: invoice ${invoice.id} bills no subscription` };
    const revokedThrough = invoicePaidThrough(invoice);
    if (!revokedThrough)
      throw new PermanentInboxError(
        'invoice_without_period',
        `${why}: invoice ${invoice.id} has no service period`,
      );
    const result = await this.refresh(subscriptionId, {
      sourceEvent: type,
      inboxEventId,
      revokedThrough,
    });
    if (!result.applied) throw new NotYetKnownError(result.note);
    return {
      kind: 'processed',
      note: `${why}: revoked through ${revokedThrough.toISOString()}; ${result.note}`,
    };
  }

  private async dispute(
    disputeId: string,
    type: string,
    inboxEventId: string,
  ): Promise<InboxOutcome> {
    // Decide from the newest picture of the dispute, so a late `created` never undoes a `closed`.
    const newest = (await this.mirror.get(disputeId))?.data as unknown as
      Stripe.Dispute | undefined;
    if (!newest)
      throw new PermanentInboxError(
        'dispute_not_recorded',
        `dispute ${disputeId} was not recorded`,
      );
    const phase = CLOSED_DISPUTE_STATUSES.has(newest.status) ? 'closed' : 'created';
    const action = disputeAction(phase, newest.status);
    if (action.kind === 'ignored')
      return { kind: 'ignored', note: `dispute ${disputeId}: ${action.note}` };

    let customerId: string | null = null;
    const chargeId = refId(newest.charge);
    if (this.api.enabled && chargeId) {
      const charge = await this.api.retrieveCharge(chargeId);
      customerId = refId(charge?.customer);
    }
    const lookup = await this.invoiceOf(refId(newest.payment_intent));
    const invoice = lookup.kind === 'found' ? lookup.invoice : null;
    customerId = customerId ?? refId(invoice?.customer);
    const subscriptionId = invoice ? invoiceSubscriptionId(invoice) : null;
    const subscription = subscriptionId ? await this.mirror.get(subscriptionId) : null;
    const accountId =
      accountIdFromMetadata(subscription?.data.metadata) ??
      accountIdFromMetadata(invoice?.parent?.subscription_details?.metadata) ??
      (customerId ? await this.links.accountFor(customerId) : null);
    if (!accountId) {
      this.stripeMetrics.problem('unlinked_dispute');
      throw new PermanentInboxError(
        'unlinked_dispute',
        `dispute ${disputeId}: the disputed charge belongs to no known account`,
      );
    }
    const reason = disputeSuspensionReason(disputeId);
    switch (action.kind) {
      case 'suspend': {
        const standing = await this.accounts.suspend(accountId, reason, 'chargeback');
        const own = standing.suspension?.reason === reason;
        return {
          kind: 'processed',
          note: own
            ? `dispute ${disputeId} (${newest.status}): account ${accountId} suspended for review`
            : `dispute ${disputeId} (${newest.status}): account ${accountId} was already suspended`,
        };
      }
      case 'lift':
        return {
          kind: 'processed',
          note: `dispute ${disputeId} ${newest.status}: ${await this.lift(accountId, reason)}`,
        };
      case 'revoke_and_lift': {
        const revoked = invoice
          ? await this.revoke(invoice, type, inboxEventId, `dispute ${disputeId} lost`)
          : {
              kind: 'ignored' as const,
              note: `dispute ${disputeId} lost: ${lookup.kind === 'none' ? lookup.note : ''}`,
            };
        return {
          kind: 'processed',
          note: `${revoked.note ?? ''}; ${await this.lift(accountId, reason)}`,
        };
      }
      default: {
        const unreachable: never = action;
        throw new PermanentInboxError('unknown_dispute_action', String(unreachable));
      }
    }
  }
}
