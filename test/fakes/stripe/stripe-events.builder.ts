/**
 * Stripe webhook events as Stripe sends them (snapshot payloads of the SDK's API version), and the
 * `Stripe-Signature` header Stripe computes, generated with the SDK's own test helper.
 */
import Stripe from 'stripe';
import { FAKE_API_VERSION, stripeId, wireCopy } from './stripe-objects.builder';

/** The objects a webhook event of interest can carry. */
export type StripeEventObject =
  | Stripe.Subscription
  | Stripe.SubscriptionSchedule
  | Stripe.Invoice
  | Stripe.InvoicePayment
  | Stripe.Charge
  | Stripe.Dispute
  | Stripe.Customer
  | Stripe.Checkout.Session
  | Stripe.PaymentMethod;

/** The wire shape of a (snapshot) event: `EventBase` with a concrete object. */
export interface StripeEventJson {
  id: string;
  object: 'event';
  api_version: string | null;
  created: number;
  data: { object: StripeEventObject; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: Stripe.Event.Type;
}

export interface EventOptions {
  created: number;
  id?: string;
  previousAttributes?: Record<string, unknown>;
  /** The API request that caused it; null for Stripe's automatic changes (renewals, retries). */
  requestId?: string | null;
  apiVersion?: string | null;
}

export function buildStripeEvent(
  type: Stripe.Event.Type,
  object: StripeEventObject,
  options: EventOptions,
): StripeEventJson {
  const requestId = options.requestId === undefined ? stripeId('req') : options.requestId;
  return {
    id: options.id ?? stripeId('evt'),
    object: 'event',
    api_version: options.apiVersion === undefined ? FAKE_API_VERSION : options.apiVersion,
    created: options.created,
    data: {
      object: wireCopy(object),
      ...(options.previousAttributes
        ? { previous_attributes: wireCopy(options.previousAttributes) }
        : {}),
    },
    livemode: object.livemode,
    pending_webhooks: 1,
    request: { id: requestId, idempotency_key: requestId ? `idem-${requestId}` : null },
    type,
  };
}

/** The body Stripe posts: pretty-printed JSON, as Stripe sends it. */
export function eventBody(event: StripeEventJson): string {
  return JSON.stringify(event, null, 2);
}

/**
 * `Stripe-Signature: t=…,v1=…` for a body. With several secrets (a rotation in progress) the
 * header carries one `v1` per secret, as Stripe does while an old secret is still valid.
 */
export function signStripePayload(
  payload: string,
  secrets: string | readonly string[],
  timestamp: number,
): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  const headers = list.map((secret) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }),
  );
  const signatures = headers.flatMap((h) => h.split(',').filter((part) => part.startsWith('v1=')));
  return [`t=${timestamp}`, ...signatures].join(',');
}

/** A webhook secret in Stripe's format. */
export function webhookSecret(): string {
  return `whsec_${stripeId('test').slice(5)}${stripeId('x').slice(2)}`;
}
