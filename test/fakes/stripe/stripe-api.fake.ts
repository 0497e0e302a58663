/**
 * A small stateful fake of the Stripe API on loopback. It speaks Stripe's paths, form-encoded
 * requests, JSON responses and error bodies (`{"error": {"type", "code", "message", "param"}}`),
 * checks the secret key, honours `expand[]`, and records every request:
 *
 *   POST /v1/customers                     GET /v1/customers/{id}
 *   GET  /v1/customers/{id}/payment_methods GET /v1/payment_methods[/{id}]
 *   GET  /v1/prices?lookup_keys[]=…         GET /v1/prices/{id}
 *   GET  /v1/subscriptions/{id}             GET /v1/subscription_schedules/{id}
 *   GET  /v1/invoices/{id}                  GET /v1/invoice_payments?payment[payment_intent]=…
 *   GET  /v1/charges/{id}                   GET /v1/disputes/{id}
 *   POST /v1/checkout/sessions              GET /v1/checkout/sessions/{id}
 *   POST /v1/billing_portal/sessions
 *
 * Beside the HTTP surface it *simulates Stripe*: the Customer Portal and Billing actions a
 * customer or Stripe itself takes (complete a Checkout, convert a trial, renew, fail and retry a
 * payment, cancel at period end in classic or flexible billing mode, upgrade, schedule a downgrade
 * with a subscription schedule, refund, dispute…). Each action changes the stored objects and
 * returns the webhook events Stripe would send, built from those objects with
 * `buildStripeEvent`. Its clock is explicit (`now`, Unix seconds) and never goes backwards; two
 * actions never share a second, like two clicks in the portal.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import {
  addDays,
  addInterval,
  apiList,
  buildCardPaymentMethod,
  buildCharge,
  buildCustomer,
  buildDispute,
  buildInvoice,
  buildInvoicePayment,
  buildPrice,
  buildProduct,
  buildSchedule,
  buildSubscription,
  planFromPrice,
  stripeId,
  unix,
  wireCopy,
  type BillingModeType,
} from './stripe-objects.builder';
import {
  buildStripeEvent,
  type StripeEventJson,
  type StripeEventObject,
} from './stripe-events.builder';
import {
  formArray,
  formMetadata,
  formObject,
  formString,
  parseStripeForm,
  type FormValue,
} from './stripe-form';

export interface StripeRequestRecord {
  method: string;
  path: string;
  query: Record<string, FormValue>;
  body: Record<string, FormValue>;
  status: number;
  stripeVersion: string | null;
  idempotencyKey: string | null;
  authorized: boolean;
}

export interface StripeScriptedFailure {
  status: 429 | 500 | 502 | 503;
  /** Only requests whose path starts with this prefix (any when omitted). */
  pathPrefix?: string;
  times?: number;
}

interface StripeErrorBody {
  type: 'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error';
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
}

class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

function missing(kind: string, id: string, param = 'id'): StripeHttpError {
  return new StripeHttpError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
    message: `No such ${kind}: '${id}'`,
    param,
  });
}

function invalid(
  message: string,
  param?: string,
  code = 'parameter_invalid_empty',
): StripeHttpError {
  return new StripeHttpError(400, {
    type: 'invalid_request_error',
    code,
    message,
    ...(param ? { param } : {}),
  });
}

/** The plan catalog of SPEC §2, as Stripe prices with lookup keys. */
export const DEFAULT_CATALOG = [
  { lookupKey: 'unlimited_monthly', product: 'Sogni Unlimited', amount: 2000, interval: 'month' },
  { lookupKey: 'unlimited_annual', product: 'Sogni Unlimited', amount: 19900, interval: 'year' },
  { lookupKey: 'unlimited_pro_monthly', product: 'Unlimited Pro', amount: 5000, interval: 'month' },
  { lookupKey: 'unlimited_pro_annual', product: 'Unlimited Pro', amount: 49800, interval: 'year' },
  /** A price the product map does not know. */
  {
    lookupKey: 'legacy_creator_monthly',
    product: 'Creator (legacy)',
    amount: 1500,
    interval: 'month',
  },
] as const;

export interface StartSubscriptionInput {
  customer: string;
  lookupKey: string;
  trialDays?: number | null;
  metadata?: Record<string, string>;
  billingMode?: BillingModeType;
  /** A card fingerprint: attaches a new card (else the customer's default card is used). */
  fingerprint?: string;
  paymentSucceeds?: boolean;
}

export class StripeApiFake {
  readonly secretKey = `sk_test_${randomBytes(12).toString('hex')}`;
  /** The fake's clock, Unix seconds. */
  now: number;
  private lastActionAt = 0;

  readonly products = new Map<string, Stripe.Product>();
  readonly prices = new Map<string, Stripe.Price>();
  readonly customers = new Map<string, Stripe.Customer>();
  readonly paymentMethods = new Map<string, Stripe.PaymentMethod>();
  readonly subscriptions = new Map<string, Stripe.Subscription>();
  readonly schedules = new Map<string, Stripe.SubscriptionSchedule>();
  readonly invoices = new Map<string, Stripe.Invoice>();
  readonly invoicePayments = new Map<string, Stripe.InvoicePayment>();
  readonly charges = new Map<string, Stripe.Charge>();
  readonly disputes = new Map<string, Stripe.Dispute>();
  readonly checkoutSessions = new Map<string, Stripe.Checkout.Session>();
  readonly portalSessions = new Map<string, Stripe.BillingPortal.Session>();
  /** The parameters each Checkout Session was created with (subscription_data is not on the object). */
  readonly checkoutParams = new Map<string, Record<string, FormValue>>();
  /** Every event the simulation emitted, in order. */
  readonly events: StripeEventJson[] = [];
  readonly requests: StripeRequestRecord[] = [];

  private readonly invoiceCharge = new Map<string, string>();
  private failures: Array<
    Required<Omit<StripeScriptedFailure, 'pathPrefix'>> & { pathPrefix?: string }
  > = [];
  private server: Server | null = null;
  private baseUrl = '';

  constructor(now: Date | number = new Date('2026-01-05T10:00:00Z')) {
    this.now = unix(now);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  /** What `STRIPE_API_URL` should be set to. */
  get url(): string {
    if (!this.server) throw new Error('StripeApiFake is not started');
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  failNext(failure: StripeScriptedFailure): void {
    this.failures.push({ times: 1, ...failure });
  }

  /** Requests to a path (method optional), for assertions. */
  requestsTo(pathPrefix: string, method?: string): StripeRequestRecord[] {
    return this.requests.filter(
      (r) => r.path.startsWith(pathPrefix) && (!method || r.method === method),
    );
  }

  get nowDate(): Date {
    return new Date(this.now * 1000);
  }

  /** Moves the clock forward (never back). */
  advanceTo(at: Date | number): void {
    this.now = Math.max(this.now, unix(at));
  }

  advanceDays(days: number): void {
    this.now = addDays(this.now, days);
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const record: StripeRequestRecord = {
      method,
      path: url.pathname,
      query: parseStripeForm(url.search.slice(1)),
      body: parseStripeForm(Buffer.concat(chunks).toString('utf8')),
      status: 0,
      stripeVersion: (req.headers['stripe-version'] as string | undefined) ?? null,
      idempotencyKey: (req.headers['idempotency-key'] as string | undefined) ?? null,
      authorized: false,
    };
    this.requests.push(record);
    const send = (status: number, body: unknown): void => {
      record.status = status;
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': stripeId('req'),
        'stripe-version': record.stripeVersion ?? '',
      });
      res.end(JSON.stringify(body, null, 2));
    };
    try {
      const auth = req.headers.authorization;
      if (!auth) {
        throw new StripeHttpError(401, {
          type: 'invalid_request_error',
          message:
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        });
      }
      if (auth !== `Bearer ${this.secretKey}`) {
        const given = auth.replace(/^Bearer\s+/, '');
        throw new StripeHttpError(401, {
          type: 'invalid_request_error',
          code: 'api_key_invalid',
          message: `Invalid API Key provided: ${given.slice(0, 8)}${'*'.repeat(Math.max(0, given.length - 12))}${given.slice(-4)}`,
        });
      }
      record.authorized = true;
      const failure = this.failures.find(
        (f) => !f.pathPrefix || url.pathname.startsWith(f.pathPrefix),
      );
      if (failure) {
        failure.times -= 1;
        if (failure.times <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
        throw failure.status === 429
          ? new StripeHttpError(429, {
              type: 'invalid_request_error',
              code: 'rate_limit',
              message:
                'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
            })
          : new StripeHttpError(failure.status, {
              type: 'api_error',
              message: 'An unknown error occurred',
            });
      }
      const params = method === 'GET' ? record.query : record.body;
      const result = this.route(method, url.pathname, params);
      const expand = formArray(params.expand).filter((e): e is string => typeof e === 'string');
      send(200, this.expand(wireCopy(result), expand));
    } catch (error) {
      if (error instanceof StripeHttpError) {
        send(error.status, { error: error.body });
        return;
      }
      send(500, { error: { type: 'api_error', message: `fake failure: ${String(error)}` } });
    }
  }

  private route(method: string, path: string, params: Record<string, FormValue>): unknown {
    const seg = path.split('/').filter(Boolean);
    if (seg[0] !== 'v1') throw this.unrecognized(method, path);
    const [, resource, id, sub] = seg;
    const get = method === 'GET';
    const post = method === 'POST';
    switch (resource) {
      case 'customers':
        if (post && !id) return this.createCustomer(params);
        if (get && id && !sub) return this.need(this.customers, 'customer', id);
        if (get && id && sub === 'payment_methods') {
          this.need(this.customers, 'customer', id);
          return this.listPaymentMethods(id, formString(params.type), path);
        }
        break;
      case 'payment_methods':
        if (get && id) return this.need(this.paymentMethods, 'payment_method', id);
        if (get && !id) {
          const customer = formString(params.customer);
          if (!customer)
            throw invalid('Missing required param: customer.', 'customer', 'parameter_missing');
          return this.listPaymentMethods(customer, formString(params.type), path);
        }
        break;
      case 'prices':
        if (get && id) return this.need(this.prices, 'price', id);
        if (get && !id) {
          const keys = formArray(params.lookup_keys).filter(
            (k): k is string => typeof k === 'string',
          );
          const active = formString(params.active);
          const data = [...this.prices.values()].filter(
            (p) =>
              (keys.length === 0 || (p.lookup_key !== null && keys.includes(p.lookup_key))) &&
              (active === undefined || String(p.active) === active),
          );
          return apiList(data, '/v1/prices');
        }
        break;
      case 'subscriptions':
        if (get && id) return this.need(this.subscriptions, 'subscription', id);
        break;
      case 'subscription_schedules':
        if (get && id) return this.need(this.schedules, 'subscription schedule', id);
        break;
      case 'invoices':
        if (get && id) return this.need(this.invoices, 'invoice', id);
        break;
      case 'invoice_payments':
        if (get && !id) {
          const payment = formObject(params.payment);
          const invoice = formString(params.invoice);
          const pi = payment ? formString(payment.payment_intent) : undefined;
          const data = [...this.invoicePayments.values()].filter(
            (p) => (!invoice || p.invoice === invoice) && (!pi || p.payment.payment_intent === pi),
          );
          return apiList(data, '/v1/invoice_payments');
        }
        break;
      case 'charges':
        if (get && id) return this.need(this.charges, 'charge', id);
        break;
      case 'disputes':
        if (get && id) return this.need(this.disputes, 'dispute', id);
        break;
      case 'checkout':
        if (id === 'sessions' && post && !sub) return this.createCheckoutSession(params);
        if (id === 'sessions' && get && sub)
          return this.need(this.checkoutSessions, 'checkout.session', sub);
        break;
      case 'billing_portal':
        if (id === 'sessions' && post && !sub) return this.createPortalSession(params);
        break;
    }
    throw this.unrecognized(method, path);
  }

  private unrecognized(method: string, path: string): StripeHttpError {
    return new StripeHttpError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    });
  }

  private need<T>(map: Map<string, T>, kind: string, id: string): T {
    const found = map.get(id);
    if (!found) throw missing(kind, id);
    return found;
  }

  private lookup(id: string): unknown {
    const maps: Array<[string, Map<string, unknown>]> = [
      ['sub_sched_', this.schedules],
      ['sub_', this.subscriptions],
      ['cus_', this.customers],
      ['pm_', this.paymentMethods],
      ['price_', this.prices],
      ['prod_', this.products],
      ['in_', this.invoices],
      ['ch_', this.charges],
      ['du_', this.disputes],
    ];
    for (const [prefix, map] of maps) if (id.startsWith(prefix)) return map.get(id);
    return undefined;
  }

  /** `expand[]=a.b.c`: replaces ids found along the path with their objects (arrays included). */
  private expand(value: unknown, paths: string[]): unknown {
    const walk = (node: unknown, segments: string[]): unknown => {
      if (Array.isArray(node)) return node.map((n) => walk(n, segments));
      if (segments.length === 0 || typeof node !== 'object' || node === null) return node;
      const obj = node as Record<string, unknown>;
      const [head, ...rest] = segments;
      if (head === 'data' && obj.object === 'list') {
        obj.data = walk(obj.data, rest);
        return obj;
      }
      const current = obj[head];
      if (rest.length === 0) {
        if (typeof current === 'string') {
          const found = this.lookup(current);
          if (found) obj[head] = wireCopy(found);
        }
        return obj;
      }
      obj[head] = walk(current, rest);
      return obj;
    };
    let out = value;
    for (const path of paths) {
      const segments = path.split('.');
      out = walk(out, segments);
    }
    return out;
  }

  private createCustomer(params: Record<string, FormValue>): Stripe.Customer {
    const customer = buildCustomer({
      created: this.now,
      email: formString(params.email) ?? null,
      metadata: formMetadata(params.metadata),
    });
    this.customers.set(customer.id, customer);
    return customer;
  }

  private listPaymentMethods(customer: string, type: string | undefined, url: string) {
    const data = [...this.paymentMethods.values()].filter(
      (pm) => pm.customer === customer && (!type || pm.type === type),
    );
    return apiList(data, url);
  }

  private createCheckoutSession(params: Record<string, FormValue>): Stripe.Checkout.Session {
    const mode = formString(params.mode);
    if (!mode) throw invalid('Missing required param: mode.', 'mode', 'parameter_missing');
    if (mode !== 'subscription' && mode !== 'payment' && mode !== 'setup') {
      throw invalid(
        `Invalid mode: must be one of payment, setup, or subscription`,
        'mode',
        'parameter_invalid_string',
      );
    }
    const successUrl = formString(params.success_url);
    if (!successUrl)
      throw invalid('Missing required param: success_url.', 'success_url', 'parameter_missing');
    const lineItems = formArray(params.line_items);
    if (mode === 'subscription' && lineItems.length === 0) {
      throw invalid(
        'You must provide at least one recurring price in `subscription` mode when using prices.',
        'line_items',
        'parameter_missing',
      );
    }
    lineItems.forEach((raw, i) => {
      const item = formObject(raw) ?? {};
      const priceId = formString(item.price);
      if (!priceId || !this.prices.has(priceId)) {
        throw missing('price', priceId ?? '', `line_items[${i}][price]`);
      }
    });
    const customer = formString(params.customer) ?? null;
    if (customer && !this.customers.has(customer)) throw missing('customer', customer, 'customer');
    const subscriptionData = formObject(params.subscription_data);
    const trialDays = subscriptionData ? formString(subscriptionData.trial_period_days) : undefined;
    if (trialDays !== undefined && !(Number(trialDays) >= 1 && Number(trialDays) <= 730)) {
      throw invalid(
        'The trial_period_days must be between 1 and 730.',
        'subscription_data[trial_period_days]',
        'parameter_invalid_integer',
      );
    }
    const id = `cs_test_${randomBytes(24).toString('hex').slice(0, 58)}`;
    const collection = formString(params.payment_method_collection);
    const session: Stripe.Checkout.Session = {
      id,
      object: 'checkout.session',
      adaptive_pricing: null,
      after_expiration: null,
      allow_promotion_codes: null,
      allowed_payment_method_types: null,
      amount_subtotal: null,
      amount_total: null,
      automatic_tax: { enabled: false, liability: null, provider: null, status: null },
      billing_address_collection: null,
      cancel_url: formString(params.cancel_url) ?? null,
      client_reference_id: formString(params.client_reference_id) ?? null,
      client_secret: null,
      collected_information: null,
      consent: null,
      consent_collection: null,
      created: this.now,
      currency: 'usd',
      currency_conversion: null,
      custom_fields: [],
      custom_text: {
        after_submit: null,
        shipping_address: null,
        submit: null,
        terms_of_service_acceptance: null,
      },
      customer,
      customer_account: null,
      customer_creation: customer ? null : 'always',
      customer_details: null,
      customer_email: formString(params.customer_email) ?? null,
      discounts: [],
      expires_at: addDays(this.now, 1),
      integration_identifier: null,
      invoice: null,
      invoice_creation: null,
      livemode: false,
      locale: null,
      managed_payments: null,
      metadata: formMetadata(params.metadata),
      mode,
      origin_context: null,
      payment_intent: null,
      payment_link: null,
      payment_method_collection: collection === 'if_required' ? 'if_required' : 'always',
      payment_method_configuration_details: null,
      payment_method_options: null,
      payment_method_types: ['card'],
      payment_status: 'unpaid',
      permissions: null,
      recovered_from: null,
      saved_payment_method_options: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_options: [],
      status: 'open',
      submit_type: null,
      subscription: null,
      success_url: successUrl,
      total_details: null,
      ui_mode: 'hosted',
      url: `https://checkout.stripe.com/c/pay/${id}`,
      wallet_options: null,
    };
    this.checkoutSessions.set(id, session);
    this.checkoutParams.set(id, params);
    return session;
  }

  private createPortalSession(params: Record<string, FormValue>): Stripe.BillingPortal.Session {
    const customer = formString(params.customer);
    if (!customer)
      throw invalid('Missing required param: customer.', 'customer', 'parameter_missing');
    if (!this.customers.has(customer)) throw missing('customer', customer, 'customer');
    const id = stripeId('bps');
    const session: Stripe.BillingPortal.Session = {
      id,
      object: 'billing_portal.session',
      configuration: 'bpc_default',
      created: this.now,
      customer,
      customer_account: null,
      flow: null,
      livemode: false,
      locale: null,
      on_behalf_of: null,
      return_url: formString(params.return_url) ?? null,
      url: `https://billing.stripe.com/p/session/test_${randomBytes(16).toString('hex')}`,
    };
    this.portalSessions.set(id, session);
    return session;
  }

  // -------------------------------------------------------------------------------------------
  // Simulation: catalog and customers

  /** The SPEC §2 prices (plus one unknown to the product map); returns them by lookup_key. */
  seedCatalog(): Record<string, Stripe.Price> {
    const products = new Map<string, Stripe.Product>();
    const out: Record<string, Stripe.Price> = {};
    for (const entry of DEFAULT_CATALOG) {
      let product = products.get(entry.product);
      if (!product) {
        product = buildProduct({ name: entry.product, created: this.now });
        products.set(entry.product, product);
        this.products.set(product.id, product);
      }
      const price = buildPrice({
        product: product.id,
        lookupKey: entry.lookupKey,
        unitAmount: entry.amount,
        interval: entry.interval,
        created: this.now,
        nickname: `${entry.product} ${entry.interval}ly`,
      });
      this.prices.set(price.id, price);
      out[entry.lookupKey] = price;
    }
    return out;
  }

  priceByLookupKey(lookupKey: string): Stripe.Price {
    const price = [...this.prices.values()].find((p) => p.lookup_key === lookupKey);
    if (!price) throw new Error(`no price with lookup_key ${lookupKey} (seedCatalog first)`);
    return price;
  }

  /** A customer created outside Checkout (e.g. through the dashboard). */
  addCustomer(input: { metadata?: Record<string, string>; email?: string } = {}): Stripe.Customer {
    const customer = buildCustomer({
      created: this.now,
      metadata: input.metadata,
      email: input.email,
    });
    this.customers.set(customer.id, customer);
    return customer;
  }

  /** Attaches a card with a given fingerprint and makes it the customer's default. */
  attachCard(customerId: string, fingerprint: string): Stripe.PaymentMethod {
    const customer = this.need(this.customers, 'customer', customerId);
    const pm = buildCardPaymentMethod({ customer: customerId, fingerprint, created: this.now });
    this.paymentMethods.set(pm.id, pm);
    customer.invoice_settings.default_payment_method = pm.id;
    return pm;
  }

  // -------------------------------------------------------------------------------------------
  // Simulation: subscriptions

  private tick(): void {
    if (this.now <= this.lastActionAt) this.now = this.lastActionAt + 1;
    this.lastActionAt = this.now;
  }

  private emit(
    out: StripeEventJson[],
    type: Stripe.Event.Type,
    object: StripeEventObject,
    previousAttributes?: Record<string, unknown>,
    automatic = false,
  ): void {
    const event = buildStripeEvent(type, object, {
      created: this.now,
      previousAttributes,
      ...(automatic ? { requestId: null } : {}),
    });
    this.events.push(event);
    out.push(event);
  }

  sub(id: string): Stripe.Subscription {
    return this.need(this.subscriptions, 'subscription', id);
  }

  private item(sub: Stripe.Subscription): Stripe.SubscriptionItem {
    return sub.items.data[0];
  }

  private intervalOf(price: Stripe.Price): 'month' | 'year' {
    return price.recurring?.interval === 'year' ? 'year' : 'month';
  }

  private setPeriod(sub: Stripe.Subscription, start: number, end: number): void {
    const item = this.item(sub);
    item.current_period_start = start;
    item.current_period_end = end;
  }

  private setPrice(sub: Stripe.Subscription, price: Stripe.Price): void {
    const item = this.item(sub);
    item.price = wireCopy(price);
    item.plan = planFromPrice(price);
  }

  private paymentMethodFor(sub: Stripe.Subscription): Stripe.PaymentMethod | null {
    const id =
      (typeof sub.default_payment_method === 'string' ? sub.default_payment_method : null) ??
      this.customers.get(String(sub.customer))?.invoice_settings.default_payment_method ??
      null;
    const pmId = typeof id === 'string' ? id : (id?.id ?? null);
    return pmId ? (this.paymentMethods.get(pmId) ?? null) : null;
  }

  /** An invoice for the subscription's current item period; paid (charge + invoice payment) or failed. */
  private bill(
    out: StripeEventJson[],
    sub: Stripe.Subscription,
    input: {
      amount: number;
      reason: Stripe.Invoice.BillingReason;
      succeeds: boolean;
      automatic: boolean;
    },
  ): Stripe.Invoice {
    const item = this.item(sub);
    const paid = input.succeeds || input.amount === 0;
    const invoice = buildInvoice({
      customer: String(sub.customer),
      subscription: sub.id,
      subscriptionItem: item.id,
      subscriptionMetadata: sub.metadata,
      price: item.price,
      amount: input.amount,
      periodStart: item.current_period_start,
      periodEnd: item.current_period_end,
      created: this.now,
      status: paid ? 'paid' : 'open',
      billingReason: input.reason,
      attemptCount: input.amount === 0 ? 0 : 1,
      nextPaymentAttempt: paid ? null : addDays(this.now, 3),
    });
    this.invoices.set(invoice.id, invoice);
    sub.latest_invoice = invoice.id;
    if (paid) {
      this.payInvoice(out, invoice, input.automatic);
    } else {
      this.emit(out, 'invoice.payment_failed', invoice, undefined, input.automatic);
    }
    return invoice;
  }

  private payInvoice(out: StripeEventJson[], invoice: Stripe.Invoice, automatic: boolean): void {
    invoice.status = 'paid';
    invoice.amount_paid = invoice.amount_due;
    invoice.amount_remaining = 0;
    invoice.next_payment_attempt = null;
    invoice.status_transitions.paid_at = this.now;
    if (invoice.amount_due > 0) {
      const sub = this.subscriptions.get(
        String(invoice.parent?.subscription_details?.subscription),
      );
      const pm = sub ? this.paymentMethodFor(sub) : null;
      const paymentIntent = stripeId('pi');
      const charge = buildCharge({
        customer: String(invoice.customer),
        paymentIntent,
        paymentMethod: pm?.id ?? null,
        amount: invoice.amount_due,
        created: this.now,
        description:
          invoice.billing_reason === 'subscription_create'
            ? 'Subscription creation'
            : 'Subscription update',
      });
      this.charges.set(charge.id, charge);
      this.invoiceCharge.set(invoice.id, charge.id);
      const payment = buildInvoicePayment({
        invoice: invoice.id,
        paymentIntent,
        amount: invoice.amount_due,
        created: this.now,
      });
      this.invoicePayments.set(payment.id, payment);
      this.emit(out, 'invoice.paid', invoice, undefined, automatic);
      this.emit(out, 'invoice_payment.paid', payment, undefined, automatic);
    } else {
      this.emit(out, 'invoice.paid', invoice, undefined, automatic);
    }
    this.emit(out, 'invoice.payment_succeeded', invoice, undefined, automatic);
  }

  /** Subscribes a customer directly (Checkout completion and the API both end here). */
  startSubscription(input: StartSubscriptionInput): {
    subscription: Stripe.Subscription;
    events: StripeEventJson[];
  } {
    this.tick();
    const out: StripeEventJson[] = [];
    const customer = this.need(this.customers, 'customer', input.customer);
    if (input.fingerprint) this.attachCard(customer.id, input.fingerprint);
    const price = this.priceByLookupKey(input.lookupKey);
    const trialDays = input.trialDays ?? null;
    const start = this.now;
    const end = trialDays ? addDays(start, trialDays) : addInterval(start, this.intervalOf(price));
    const succeeds = input.paymentSucceeds ?? true;
    const sub = buildSubscription({
      customer: customer.id,
      price,
      status: trialDays ? 'trialing' : succeeds ? 'active' : 'incomplete',
      created: start,
      periodStart: start,
      periodEnd: end,
      trialStart: trialDays ? start : null,
      trialEnd: trialDays ? end : null,
      metadata: input.metadata ?? {},
      billingMode: input.billingMode ?? 'classic',
      defaultPaymentMethod: customer.invoice_settings.default_payment_method as string | null,
    });
    this.subscriptions.set(sub.id, sub);
    this.emit(out, 'customer.subscription.created', sub);
    this.bill(out, sub, {
      amount: trialDays ? 0 : (price.unit_amount ?? 0),
      reason: 'subscription_create',
      succeeds,
      automatic: false,
    });
    return { subscription: sub, events: out };
  }

  /** The customer pays on the hosted Checkout page. */
  completeCheckout(
    sessionId: string,
    input: { fingerprint: string; email?: string; paymentSucceeds?: boolean },
  ): { subscription: Stripe.Subscription; customer: Stripe.Customer; events: StripeEventJson[] } {
    const session = this.need(this.checkoutSessions, 'checkout.session', sessionId);
    if (session.status !== 'open')
      throw new Error(`checkout session ${sessionId} is ${session.status}`);
    const params = this.checkoutParams.get(sessionId) ?? {};
    const line = formObject(formArray(params.line_items)[0]) ?? {};
    const price = this.need(this.prices, 'price', formString(line.price) ?? '');
    const subscriptionData = formObject(params.subscription_data) ?? {};
    const trial = formString(subscriptionData.trial_period_days);
    const billingMode = formString(formObject(subscriptionData.billing_mode)?.type);
    const out: StripeEventJson[] = [];
    let customer =
      typeof session.customer === 'string' ? this.customers.get(session.customer) : undefined;
    if (!customer) {
      customer = this.addCustomer({ email: input.email ?? session.customer_email ?? undefined });
    }
    const started = this.startSubscription({
      customer: customer.id,
      lookupKey: price.lookup_key ?? '',
      trialDays: trial ? Number(trial) : null,
      metadata: formMetadata(subscriptionData.metadata),
      billingMode: billingMode === 'flexible' ? 'flexible' : 'classic',
      fingerprint: input.fingerprint,
      paymentSucceeds: input.paymentSucceeds,
    });
    out.push(...started.events);
    session.status = 'complete';
    session.customer = customer.id;
    session.subscription = started.subscription.id;
    session.payment_status = trial ? 'no_payment_required' : 'paid';
    this.emit(out, 'checkout.session.completed', session);
    return { subscription: started.subscription, customer, events: out };
  }

  /** The trial ends and the first charge is attempted. */
  convertTrial(subId: string, input: { paymentSucceeds?: boolean } = {}): StripeEventJson[] {
    const sub = this.sub(subId);
    if (sub.status !== 'trialing') throw new Error(`${subId} is ${sub.status}, not trialing`);
    this.advanceTo(sub.trial_end ?? this.now);
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = { status: sub.status, items: wireCopy(sub.items) };
    const price = this.item(sub).price;
    const start = this.now;
    this.setPeriod(sub, start, addInterval(start, this.intervalOf(price)));
    sub.billing_cycle_anchor = start;
    const succeeds = input.paymentSucceeds ?? true;
    sub.status = succeeds ? 'active' : 'past_due';
    this.bill(out, sub, {
      amount: price.unit_amount ?? 0,
      reason: 'subscription_cycle',
      succeeds,
      automatic: true,
    });
    this.emit(out, 'customer.subscription.updated', sub, previous, true);
    return out;
  }

  /**
   * The period ends: a subscription scheduled to cancel is canceled; one with a schedule whose
   * next phase starts now moves to that phase; any other renews (payment may fail).
   */
  endOfPeriod(subId: string, input: { paymentSucceeds?: boolean } = {}): StripeEventJson[] {
    const sub = this.sub(subId);
    const end = this.item(sub).current_period_end;
    this.advanceTo(sub.cancel_at && sub.cancel_at < end ? sub.cancel_at : end);
    this.tick();
    const out: StripeEventJson[] = [];
    if (sub.cancel_at_period_end || sub.cancel_at) {
      const previous = { status: sub.status };
      sub.status = 'canceled';
      sub.ended_at = this.now;
      sub.canceled_at = sub.canceled_at ?? this.now;
      sub.cancellation_details = {
        comment: null,
        feedback: null,
        feedback_option: null,
        reason: 'cancellation_requested',
      };
      this.emit(out, 'customer.subscription.deleted', sub, previous, true);
      return out;
    }
    const previous = { items: wireCopy(sub.items), latest_invoice: sub.latest_invoice };
    let price = this.item(sub).price;
    const schedule =
      typeof sub.schedule === 'string' ? this.schedules.get(sub.schedule) : undefined;
    const nextPhase = schedule?.phases.find((p) => p.start_date === end);
    if (schedule && nextPhase) {
      price = this.need(this.prices, 'price', String(nextPhase.items[0].price));
      this.setPrice(sub, price);
      const previousSchedule = { current_phase: wireCopy(schedule.current_phase) };
      schedule.current_phase = { start_date: nextPhase.start_date, end_date: nextPhase.end_date };
      this.emit(out, 'subscription_schedule.updated', schedule, previousSchedule, true);
    }
    this.setPeriod(sub, end, addInterval(end, this.intervalOf(price)));
    const succeeds = input.paymentSucceeds ?? true;
    if (!succeeds) {
      Object.assign(previous, { status: sub.status });
      sub.status = 'past_due';
    }
    this.bill(out, sub, {
      amount: price.unit_amount ?? 0,
      reason: 'subscription_cycle',
      succeeds,
      automatic: true,
    });
    this.emit(out, 'customer.subscription.updated', sub, previous, true);
    return out;
  }

  /** Stripe retries the open invoice (Smart Retries); `final` = the last attempt, which cancels. */
  retryPayment(
    subId: string,
    input: { paymentSucceeds: boolean; final?: boolean; afterDays?: number },
  ): StripeEventJson[] {
    const sub = this.sub(subId);
    const invoice = this.need(this.invoices, 'invoice', String(sub.latest_invoice));
    if (invoice.status !== 'open') throw new Error(`invoice ${invoice.id} is ${invoice.status}`);
    this.advanceTo(addDays(this.now, input.afterDays ?? 3));
    this.tick();
    const out: StripeEventJson[] = [];
    invoice.attempt_count += 1;
    if (input.paymentSucceeds) {
      this.payInvoice(out, invoice, true);
      const previous = { status: sub.status };
      sub.status = 'active';
      this.emit(out, 'customer.subscription.updated', sub, previous, true);
      return out;
    }
    invoice.next_payment_attempt = input.final ? null : addDays(this.now, 3);
    this.emit(out, 'invoice.payment_failed', invoice, undefined, true);
    if (input.final) {
      const previous = { status: sub.status };
      sub.status = 'canceled';
      sub.ended_at = this.now;
      sub.canceled_at = this.now;
      sub.cancellation_details = {
        comment: null,
        feedback: null,
        feedback_option: null,
        reason: 'payment_failed',
      };
      this.emit(out, 'customer.subscription.deleted', sub, previous, true);
    }
    return out;
  }

  /**
   * "Cancel plan" in the Customer Portal at the end of the period: classic billing sets
   * `cancel_at_period_end` (and mirrors the date in `cancel_at`); flexible billing sets only `cancel_at`.
   */
  cancelAtPeriodEnd(subId: string): StripeEventJson[] {
    const sub = this.sub(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = {
      cancel_at: sub.cancel_at,
      cancel_at_period_end: sub.cancel_at_period_end,
      canceled_at: sub.canceled_at,
    };
    const end = this.item(sub).current_period_end;
    if (sub.billing_mode.type === 'flexible') {
      sub.cancel_at = end;
      sub.cancel_at_period_end = false;
    } else {
      sub.cancel_at = end;
      sub.cancel_at_period_end = true;
    }
    sub.canceled_at = this.now;
    sub.cancellation_details = {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: 'cancellation_requested',
    };
    this.emit(out, 'customer.subscription.updated', sub, previous);
    return out;
  }

  /** "Renew plan" in the portal before the period ends: no charge, same period. */
  reactivate(subId: string): StripeEventJson[] {
    const sub = this.sub(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = {
      cancel_at: sub.cancel_at,
      cancel_at_period_end: sub.cancel_at_period_end,
      canceled_at: sub.canceled_at,
    };
    sub.cancel_at = null;
    sub.cancel_at_period_end = false;
    sub.canceled_at = null;
    sub.cancellation_details = {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: null,
    };
    this.emit(out, 'customer.subscription.updated', sub, previous);
    return out;
  }

  /** Cancel immediately (portal "cancel now", or the dashboard). */
  cancelNow(subId: string): StripeEventJson[] {
    const sub = this.sub(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = { status: sub.status };
    sub.status = 'canceled';
    sub.canceled_at = this.now;
    sub.ended_at = this.now;
    sub.cancellation_details = {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: 'cancellation_requested',
    };
    this.emit(out, 'customer.subscription.deleted', sub, previous);
    return out;
  }

  /** Upgrade in the portal with immediate proration (always_invoice): the new plan once paid. */
  upgrade(subId: string, lookupKey: string): StripeEventJson[] {
    const sub = this.sub(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = { items: wireCopy(sub.items) };
    const oldPrice = this.item(sub).price;
    const price = this.priceByLookupKey(lookupKey);
    this.setPrice(sub, price);
    if (this.intervalOf(price) !== this.intervalOf(oldPrice)) {
      // A change of interval restarts the billing cycle.
      this.setPeriod(sub, this.now, addInterval(this.now, this.intervalOf(price)));
      sub.billing_cycle_anchor = this.now;
    }
    const proration = Math.max(0, (price.unit_amount ?? 0) - (oldPrice.unit_amount ?? 0));
    this.bill(out, sub, {
      amount: proration,
      reason: 'subscription_update',
      succeeds: true,
      automatic: false,
    });
    this.emit(out, 'customer.subscription.updated', sub, previous);
    return out;
  }

  /** Portal downgrade "at the end of the billing period": a subscription schedule with two phases. */
  scheduleDowngrade(subId: string, lookupKey: string): StripeEventJson[] {
    const sub = this.sub(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    const item = this.item(sub);
    const next = this.priceByLookupKey(lookupKey);
    const schedule = buildSchedule({
      customer: String(sub.customer),
      subscription: sub.id,
      status: 'active',
      created: this.now,
      currentPhase: { start: item.current_period_start, end: item.current_period_end },
      phases: [
        { price: item.price.id, start: item.current_period_start, end: item.current_period_end },
        {
          price: next.id,
          start: item.current_period_end,
          end: addInterval(item.current_period_end, this.intervalOf(next)),
        },
      ],
      billingMode: sub.billing_mode.type === 'flexible' ? 'flexible' : 'classic',
    });
    this.schedules.set(schedule.id, schedule);
    const previous = { schedule: sub.schedule };
    sub.schedule = schedule.id;
    this.emit(out, 'subscription_schedule.created', schedule);
    this.emit(out, 'customer.subscription.updated', sub, previous);
    return out;
  }

  /** The customer picks another plan for the pending change. */
  changeScheduledDowngrade(subId: string, lookupKey: string): StripeEventJson[] {
    const sub = this.sub(subId);
    const schedule = this.need(this.schedules, 'subscription schedule', String(sub.schedule));
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = { phases: wireCopy(schedule.phases) };
    const next = this.priceByLookupKey(lookupKey);
    const phase = schedule.phases[1];
    phase.items[0].price = next.id;
    phase.items[0].plan = next.id;
    phase.end_date = addInterval(phase.start_date, this.intervalOf(next));
    this.emit(out, 'subscription_schedule.updated', schedule, previous);
    return out;
  }

  /** The customer withdraws the pending change: the schedule is released. */
  withdrawScheduledDowngrade(subId: string): StripeEventJson[] {
    const sub = this.sub(subId);
    const schedule = this.need(this.schedules, 'subscription schedule', String(sub.schedule));
    this.tick();
    const out: StripeEventJson[] = [];
    const previousSchedule = {
      status: schedule.status,
      subscription: schedule.subscription,
      released_at: null,
      released_subscription: null,
    };
    schedule.status = 'released';
    schedule.released_at = this.now;
    schedule.released_subscription = sub.id;
    schedule.subscription = null;
    schedule.current_phase = null;
    const previous = { schedule: sub.schedule };
    sub.schedule = null;
    this.emit(out, 'subscription_schedule.released', schedule, previousSchedule);
    this.emit(out, 'customer.subscription.updated', sub, previous);
    return out;
  }

  pause(subId: string): StripeEventJson[] {
    const sub = this.sub(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = { status: sub.status };
    sub.status = 'paused';
    this.emit(out, 'customer.subscription.paused', sub, previous);
    this.emit(out, 'customer.subscription.updated', sub, previous);
    return out;
  }

  resume(subId: string): StripeEventJson[] {
    const sub = this.sub(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = { status: sub.status, items: wireCopy(sub.items) };
    sub.status = 'active';
    const price = this.item(sub).price;
    this.setPeriod(sub, this.now, addInterval(this.now, this.intervalOf(price)));
    this.bill(out, sub, {
      amount: price.unit_amount ?? 0,
      reason: 'subscription_cycle',
      succeeds: true,
      automatic: false,
    });
    this.emit(out, 'customer.subscription.resumed', sub, previous);
    this.emit(out, 'customer.subscription.updated', sub, previous);
    return out;
  }

  /** The charge of the subscription's latest paid invoice. */
  latestCharge(subId: string): Stripe.Charge {
    const paid = [...this.invoices.values()]
      .filter(
        (i) =>
          i.parent?.subscription_details?.subscription === subId && this.invoiceCharge.has(i.id),
      )
      .sort((a, b) => b.created - a.created)[0];
    if (!paid) throw new Error(`no paid invoice with a charge for ${subId}`);
    return this.need(this.charges, 'charge', this.invoiceCharge.get(paid.id)!);
  }

  /** Support refunds the latest charge (full by default). */
  refundLatestCharge(subId: string, input: { amount?: number } = {}): StripeEventJson[] {
    const charge = this.latestCharge(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    const amount = input.amount ?? charge.amount - charge.amount_refunded;
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount;
    this.emit(out, 'charge.refunded', charge, previous);
    return out;
  }

  /** The cardholder disputes the latest charge. */
  openDispute(subId: string): { dispute: Stripe.Dispute; events: StripeEventJson[] } {
    const charge = this.latestCharge(subId);
    this.tick();
    const out: StripeEventJson[] = [];
    charge.disputed = true;
    const dispute = buildDispute({
      charge: charge.id,
      paymentIntent: typeof charge.payment_intent === 'string' ? charge.payment_intent : null,
      amount: charge.amount,
      status: 'needs_response',
      created: this.now,
    });
    this.disputes.set(dispute.id, dispute);
    this.emit(out, 'charge.dispute.created', dispute, undefined, true);
    return { dispute, events: out };
  }

  closeDispute(disputeId: string, outcome: 'won' | 'lost', afterDays = 30): StripeEventJson[] {
    const dispute = this.need(this.disputes, 'dispute', disputeId);
    this.advanceTo(addDays(this.now, afterDays));
    this.tick();
    const out: StripeEventJson[] = [];
    const previous = { status: dispute.status };
    dispute.status = outcome;
    this.emit(out, 'charge.dispute.closed', dispute, previous, true);
    return out;
  }
}
