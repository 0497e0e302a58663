import Stripe from 'stripe';
import { loadConfig } from '../../../src/config/app-config';
import {
  StripeApiClient,
  StripeApiUnavailableError,
  stripeSdkConfig,
} from '../../../src/stores/stripe/stripe-api.client';
import { StripeApiFake } from '../../fakes/stripe/stripe-api.fake';

describe('StripeApiClient against the Stripe API fake', () => {
  const fake = new StripeApiFake(new Date('2026-02-01T09:00:00Z'));
  let client: StripeApiClient;
  let prices: Record<string, Stripe.Price>;

  beforeAll(async () => {
    await fake.start();
    prices = fake.seedCatalog();
    client = new StripeApiClient(
      loadConfig({ STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_URL: fake.url }),
    );
  });

  afterAll(() => fake.stop());

  it('splits STRIPE_API_URL into the SDK host, port and protocol', () => {
    expect(stripeSdkConfig('http://127.0.0.1:4010')).toMatchObject({
      host: '127.0.0.1',
      port: '4010',
      protocol: 'http',
    });
    expect(stripeSdkConfig('https://stripe.internal')).toMatchObject({
      host: 'stripe.internal',
      port: 443,
      protocol: 'https',
    });
    expect(stripeSdkConfig(undefined).host).toBeUndefined();
  });

  it('is disabled without a secret key', () => {
    expect(new StripeApiClient(loadConfig({})).enabled).toBe(false);
    expect(client.enabled).toBe(true);
  });

  it('creates a customer (form-encoded metadata) and retrieves it with the pinned API version', async () => {
    const customer = await client.createCustomer('acct-42', 'idem-customer-acct-42');
    expect(customer.metadata).toEqual({ account_id: 'acct-42' });
    const post = fake.requestsTo('/v1/customers', 'POST').at(-1)!;
    expect(post.body).toEqual({ metadata: { account_id: 'acct-42' } });
    expect(post.idempotencyKey).toBe('idem-customer-acct-42');
    expect(post.stripeVersion).toBe(Stripe.API_VERSION);
    const again = await client.retrieveCustomer(customer.id);
    expect(again?.id).toBe(customer.id);
  });

  it('answers null for a missing object (404 resource_missing) on every read', async () => {
    await expect(client.retrieveSubscription('sub_missing')).resolves.toBeNull();
    await expect(client.retrieveCustomer('cus_missing')).resolves.toBeNull();
    await expect(client.retrieveSchedule('sub_sched_missing')).resolves.toBeNull();
    await expect(client.retrieveCharge('ch_missing')).resolves.toBeNull();
    await expect(client.retrieveInvoice('in_missing')).resolves.toBeNull();
    await expect(client.retrievePrice('price_missing')).resolves.toBeNull();
    await expect(client.retrievePaymentMethod('pm_missing')).resolves.toBeNull();
    expect(fake.requestsTo('/v1/subscriptions/sub_missing').at(-1)?.status).toBe(404);
  });

  it('retrieves a subscription in the current shape and a schedule with expanded phase prices', async () => {
    const customer = fake.addCustomer({ metadata: { account_id: 'acct-7' } });
    const { subscription } = fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_pro_monthly',
      fingerprint: 'fp_card_7',
      metadata: { account_id: 'acct-7' },
    });
    fake.scheduleDowngrade(subscription.id, 'unlimited_monthly');

    const fetched = await client.retrieveSubscription(subscription.id);
    expect(fetched?.items.data[0].current_period_end).toBe(
      subscription.items.data[0].current_period_end,
    );
    expect(fetched?.items.data[0].price.lookup_key).toBe('unlimited_pro_monthly');
    expect(typeof fetched?.schedule).toBe('string');

    const schedule = await client.retrieveSchedule(String(fetched?.schedule));
    const nextPrice = schedule?.phases[1].items[0].price;
    expect(typeof nextPrice).toBe('object');
    expect((nextPrice as Stripe.Price).lookup_key).toBe('unlimited_monthly');
    const get = fake.requestsTo('/v1/subscription_schedules/').at(-1)!;
    expect(get.query).toEqual({ expand: ['phases.items.price'] });
  });

  it('finds the invoice a PaymentIntent paid through invoice payments', async () => {
    const customer = fake.addCustomer();
    const { subscription } = fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_monthly',
      fingerprint: 'fp_card_8',
    });
    const charge = fake.latestCharge(subscription.id);
    const invoiceId = await client.invoiceIdForPaymentIntent(String(charge.payment_intent));
    const invoice = await client.retrieveInvoice(String(invoiceId));
    expect(invoice?.parent?.subscription_details?.subscription).toBe(subscription.id);
    await expect(client.invoiceIdForPaymentIntent('pi_unknown')).resolves.toBeNull();
    expect(fake.requestsTo('/v1/invoice_payments').at(-1)?.query).toMatchObject({
      payment: { type: 'payment_intent', payment_intent: 'pi_unknown' },
    });
  });

  it('lists card fingerprints and finds a price by lookup_key', async () => {
    const customer = fake.addCustomer();
    fake.attachCard(customer.id, 'fp_first');
    fake.attachCard(customer.id, 'fp_second');
    await expect(client.cardFingerprints(customer.id)).resolves.toEqual(['fp_first', 'fp_second']);
    await expect(client.priceByLookupKey('unlimited_annual')).resolves.toMatchObject({
      id: prices.unlimited_annual.id,
    });
    await expect(client.priceByLookupKey('nope')).resolves.toBeNull();
  });

  it('creates a Checkout Session in subscription mode with the account on the session and the subscription', async () => {
    const customer = await client.createCustomer('acct-9');
    const session = await client.createCheckoutSession({
      accountId: 'acct-9',
      customerId: customer.id,
      priceId: prices.unlimited_monthly.id,
      trialPeriodDays: 3,
      successUrl: 'https://dashboard.example.com/ok',
      cancelUrl: 'https://dashboard.example.com/back',
    });
    expect(session.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    expect(fake.checkoutParams.get(session.id)).toEqual({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: 'acct-9',
      line_items: [{ price: prices.unlimited_monthly.id, quantity: '1' }],
      payment_method_collection: 'always',
      metadata: { account_id: 'acct-9' },
      subscription_data: { metadata: { account_id: 'acct-9' }, trial_period_days: '3' },
      success_url: 'https://dashboard.example.com/ok',
      cancel_url: 'https://dashboard.example.com/back',
    });
    const withoutTrial = await client.createCheckoutSession({
      accountId: 'acct-9',
      customerId: customer.id,
      priceId: prices.unlimited_monthly.id,
      trialPeriodDays: null,
      successUrl: 'https://dashboard.example.com/ok',
      cancelUrl: 'https://dashboard.example.com/back',
    });
    expect(fake.checkoutParams.get(withoutTrial.id)?.subscription_data).toEqual({
      metadata: { account_id: 'acct-9' },
    });
  });

  it('creates a billing portal session for a customer', async () => {
    const customer = await client.createCustomer('acct-10');
    const session = await client.createPortalSession(
      customer.id,
      'https://dashboard.example.com/billing',
    );
    expect(session.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
    expect(session.return_url).toBe('https://dashboard.example.com/billing');
  });

  it('retries a transient 500 (SDK network retries) and reports a persistent one as unavailable', async () => {
    const customer = fake.addCustomer();
    fake.failNext({ status: 500, pathPrefix: '/v1/customers/', times: 1 });
    await expect(client.retrieveCustomer(customer.id)).resolves.toMatchObject({ id: customer.id });
    fake.failNext({ status: 503, pathPrefix: '/v1/customers/', times: 3 });
    await expect(client.retrieveCustomer(customer.id)).rejects.toBeInstanceOf(
      StripeApiUnavailableError,
    );
  });

  it('reports a wrong secret key as unavailable, never as a missing object', async () => {
    const wrong = new StripeApiClient(
      loadConfig({ STRIPE_SECRET_KEY: 'sk_test_wrongwrongwrong', STRIPE_API_URL: fake.url }),
    );
    const error = await wrong.retrieveSubscription('sub_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StripeApiUnavailableError);
    expect(error).toMatchObject({ statusCode: 401 });
  });
});
