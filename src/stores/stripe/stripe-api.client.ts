import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

/** The Stripe API answered with something other than the object or a 404 (5xx, timeout, auth). */
export class StripeApiUnavailableError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | null,
    readonly stripeCode: string | null,
  ) {
    super(message);
    this.name = 'StripeApiUnavailableError';
  }
}

/** SDK options for a base URL (`STRIPE_API_URL`): the SDK takes host, port and protocol apart. */
export function stripeSdkConfig(apiUrl: string | undefined): Stripe.StripeConfig {
  const common: Stripe.StripeConfig = {
    maxNetworkRetries: 2,
    timeout: 10_000,
    telemetry: false,
    appInfo: { name: 'entitlement-service' },
  };
  if (!apiUrl) return common;
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    ...common,
    host: url.hostname,
    port: url.port || (protocol === 'http' ? 80 : 443),
    protocol,
  };
}

export interface CheckoutSessionRequest {
  accountId: string;
  customerId: string;
  priceId: string;
  trialPeriodDays: number | null;
  successUrl: string;
  cancelUrl: string;
  idempotencyKey?: string;
}

/**
 * The Stripe API behind one injectable, through the official SDK. Reads answer `null` for a
 * missing object (404 `resource_missing`); anything else that is not the object throws
 * `StripeApiUnavailableError` (the caller retries).
 */
@Injectable()
export class StripeApiClient {
  private readonly stripe: Stripe | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.stripe = config.stripe.secretKey
      ? new Stripe(config.stripe.secretKey, stripeSdkConfig(config.stripe.apiUrl))
      : null;
  }

  /** True when `STRIPE_SECRET_KEY` is configured (re-fetch, Checkout and the Portal are possible). */
  get enabled(): boolean {
    return this.stripe !== null;
  }

  private sdk(): Stripe {
    if (!this.stripe) throw new Error('the Stripe API is not configured (STRIPE_SECRET_KEY)');
    return this.stripe;
  }

  private async call<T>(what: string, fn: (s: Stripe) => Promise<T>): Promise<T> {
    try {
      return await fn(this.sdk());
    } catch (error) {
      throw this.unavailable(what, error);
    }
  }

  private async read<T>(what: string, fn: (s: Stripe) => Promise<T>): Promise<T | null> {
    try {
      return await fn(this.sdk());
    } catch (error) {
      if (
        error instanceof Stripe.errors.StripeError &&
        (error.statusCode === 404 || error.code === 'resource_missing')
      ) {
        return null;
      }
      throw this.unavailable(what, error);
    }
  }

  private unavailable(what: string, error: unknown): StripeApiUnavailableError {
    if (error instanceof Stripe.errors.StripeError) {
      return new StripeApiUnavailableError(
        `Stripe ${what} failed: ${error.type}${error.code ? ` (${error.code})` : ''}`,
        error.statusCode ?? null,
        error.code ?? null,
      );
    }
    return new StripeApiUnavailableError(
      `Stripe ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      null,
      null,
    );
  }

  retrieveSubscription(id: string): Promise<Stripe.Subscription | null> {
    return this.read('subscriptions.retrieve', (s) => s.subscriptions.retrieve(id));
  }

  /** A schedule with its phases' prices expanded (their lookup keys decide pending changes). */
  retrieveSchedule(id: string): Promise<Stripe.SubscriptionSchedule | null> {
    return this.read('subscriptionSchedules.retrieve', (s) =>
      s.subscriptionSchedules.retrieve(id, { expand: ['phases.items.price'] }),
    );
  }

  retrievePrice(id: string): Promise<Stripe.Price | null> {
    return this.read('prices.retrieve', (s) => s.prices.retrieve(id));
  }

  /** The customer, or null when missing or deleted. */
  async retrieveCustomer(id: string): Promise<Stripe.Customer | null> {
    const customer = await this.read('customers.retrieve', (s) => s.customers.retrieve(id));
    if (!customer || customer.deleted) return null;
    return customer;
  }

  retrievePaymentMethod(id: string): Promise<Stripe.PaymentMethod | null> {
    return this.read('paymentMethods.retrieve', (s) => s.paymentMethods.retrieve(id));
  }

  retrieveCharge(id: string): Promise<Stripe.Charge | null> {
    return this.read('charges.retrieve', (s) => s.charges.retrieve(id));
  }

  retrieveInvoice(id: string): Promise<Stripe.Invoice | null> {
    return this.read('invoices.retrieve', (s) => s.invoices.retrieve(id));
  }

  /** The invoice a PaymentIntent paid (current API versions link them through invoice payments). */
  async invoiceIdForPaymentIntent(paymentIntentId: string): Promise<string | null> {
    const list = await this.call('invoicePayments.list', (s) =>
      s.invoicePayments.list({
        payment: { type: 'payment_intent', payment_intent: paymentIntentId },
        limit: 10,
      }),
    );
    const payment = list.data.find((p) => p.status === 'paid') ?? list.data[0];
    if (!payment) return null;
    return typeof payment.invoice === 'string' ? payment.invoice : payment.invoice.id;
  }

  /** The active price with this lookup_key, if any. */
  async priceByLookupKey(lookupKey: string): Promise<Stripe.Price | null> {
    const list = await this.call('prices.list', (s) =>
      s.prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 }),
    );
    return list.data[0] ?? null;
  }

  /** Every active recurring price (the product map decides which one sells a plan). */
  activeRecurringPrices(): Promise<Stripe.Price[]> {
    return this.call('prices.list', async (s) => {
      const prices: Stripe.Price[] = [];
      for await (const price of s.prices.list({ active: true, type: 'recurring', limit: 100 })) {
        prices.push(price);
        if (prices.length >= 1000) break;
      }
      return prices;
    });
  }

  createCustomer(accountId: string, idempotencyKey?: string): Promise<Stripe.Customer> {
    return this.call('customers.create', (s) =>
      s.customers.create(
        { metadata: { account_id: accountId } },
        idempotencyKey ? { idempotencyKey } : undefined,
      ),
    );
  }

  /** Fingerprints of the customer's saved cards (one-trial-per-person signal). */
  async cardFingerprints(customerId: string): Promise<string[]> {
    const list = await this.call('customers.listPaymentMethods', (s) =>
      s.customers.listPaymentMethods(customerId, { type: 'card', limit: 100 }),
    );
    return list.data
      .map((pm) => pm.card?.fingerprint ?? null)
      .filter((f): f is string => typeof f === 'string' && f.length > 0);
  }

  createCheckoutSession(input: CheckoutSessionRequest): Promise<Stripe.Checkout.Session> {
    const metadata = { account_id: input.accountId };
    return this.call('checkout.sessions.create', (s) =>
      s.checkout.sessions.create(
        {
          mode: 'subscription',
          customer: input.customerId,
          client_reference_id: input.accountId,
          line_items: [{ price: input.priceId, quantity: 1 }],
          // A card on file even for a trial: the trial converts without asking again.
          payment_method_collection: 'always',
          metadata,
          subscription_data: {
            metadata,
            ...(input.trialPeriodDays ? { trial_period_days: input.trialPeriodDays } : {}),
          },
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
        },
        input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : undefined,
      ),
    );
  }

  createPortalSession(
    customerId: string,
    returnUrl: string,
  ): Promise<Stripe.BillingPortal.Session> {
    return this.call('billingPortal.sessions.create', (s) =>
      s.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }),
    );
  }
}
