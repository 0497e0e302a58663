/**
 * The Customer Portal flows end to end with STRIPE_SECRET_KEY set: Checkout through the service,
 * Stripe's events posted signed to /webhooks/stripe, every subscription re-fetched from the Stripe
 * API fake, the dashboard's entitlement read after each step. Then the same event history again,
 * shuffled and duplicated, into a fresh service: the same final answers.
 */
import { TrialsService } from '../../../src/accounts/trials.service';
import { expectError } from '../../support/http';
import { bearer } from '../../support/test-keys';
import { StripeApiFake } from '../../fakes/stripe/stripe-api.fake';
import type { StripeEventJson } from '../../fakes/stripe/stripe-events.builder';
import { StripeHarness } from './stripe-e2e.harness';
import {
  finalAnswer,
  SCENARIOS,
  type Expectation,
  type ScenarioDriver,
} from './stripe-portal.scenarios';
import { shuffledWithDuplicates } from './stripe-shuffle';

class LiveDriver implements ScenarioDriver {
  constructor(
    private readonly h: StripeHarness,
    private readonly accountId: string,
  ) {}

  get fake(): StripeApiFake {
    return this.h.fake;
  }

  async step(name: string, events: StripeEventJson[], expectation: Expectation): Promise<void> {
    await this.h.deliverAndSettle(events);
    const body = await this.h.entitlement(this.accountId);
    try {
      expectation(body, { fake: this.h.fake });
    } catch (error) {
      throw new Error(
        `step "${name}": ${(error as Error).message}\nentitlement: ${JSON.stringify(body, null, 2)}`,
      );
    }
  }
}

const fake = new StripeApiFake(new Date('2026-01-05T10:00:00Z'));
const finals = new Map<string, Record<string, unknown>>();
let endAt: Date;

beforeAll(async () => {
  await fake.start();
  fake.seedCatalog();
});
afterAll(() => fake.stop());

describe('Customer Portal flows (STRIPE_SECRET_KEY set: every event re-fetches the subscription)', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await StripeHarness.start({ fake });
  });
  afterAll(async () => {
    // The answers every account ends with, for the replay below.
    h.syncClock();
    endAt = h.clock.now();
    for (const account of finals.keys())
      finals.set(account, finalAnswer(await h.entitlement(account)));
    await h.close();
  });

  it.each(SCENARIOS.map((s, i) => ({ ...s, account: `acct_live_${i}` })))(
    '$name',
    async ({ run, account }) => {
      finals.set(account, {});
      await run(new LiveDriver(h, account), account);
    },
  );

  it('a downgrade never lowers the limits before the phase starts, then lowers them even before the events arrive', async () => {
    const account = 'acct_live_downgrade_time';
    const customer = fake.addCustomer({ metadata: { account_id: account } });
    const { subscription, events } = fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_pro_monthly',
      metadata: { account_id: account },
    });
    await h.deliverAndSettle(events);
    await h.deliverAndSettle(fake.scheduleDowngrade(subscription.id, 'unlimited_monthly'));
    const effectiveAt = new Date(subscription.items.data[0].current_period_end * 1000);
    const before = await h.entitlementAt(account, new Date(effectiveAt.getTime() - 60_000));
    expect(before).toMatchObject({
      plan: 'unlimited_pro',
      limits: { image: 16, video: 4 },
      pendingChange: { plan: 'unlimited' },
    });
    const after = await h.entitlementAt(account, new Date(effectiveAt.getTime() + 60_000));
    expect(after).toMatchObject({
      plan: 'unlimited',
      limits: { image: 4, video: 1 },
      pendingChange: null,
    });
  });

  it('links a subscription without metadata through its customer (re-fetched)', async () => {
    const customer = fake.addCustomer({ metadata: { account_id: 'acct_live_by_customer' } });
    const { events } = fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_monthly',
    });
    await h.deliverAndSettle(events);
    expect(await h.entitlement('acct_live_by_customer')).toMatchObject({
      covered: true,
      plan: 'unlimited',
    });
    expect(fake.requestsTo(`/v1/customers/${customer.id}`, 'GET').length).toBeGreaterThan(0);
  });

  it('an old event delivered late changes nothing: the re-fetched subscription wins', async () => {
    const account = 'acct_live_late';
    const customer = fake.addCustomer({ metadata: { account_id: account } });
    const started = fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_monthly',
      trialDays: 3,
      metadata: { account_id: account },
    });
    const converted = fake.convertTrial(started.subscription.id);
    await h.deliverAndSettle(converted);
    await h.deliverAndSettle(started.events);
    expect(await h.entitlement(account)).toMatchObject({
      state: 'active',
      covered: true,
      trialEndsAt: null,
    });
  });

  describe('Checkout and one trial per person', () => {
    function checkout(accountId: string, body: Record<string, unknown>) {
      return h.http
        .post(`/v1/accounts/${accountId}/checkout-session`)
        .set('authorization', bearer('dashboard'))
        .send(body);
    }

    it('offers the 3-day trial to a first-time subscriber; the resubscription after expiry starts paid', async () => {
      const account = 'acct_checkout_1';
      const first = await checkout(account, { plan: 'unlimited', interval: 'month' });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        trial: true,
        trialPeriodDays: 3,
        trialIneligibleReason: null,
        url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
      });
      const params = fake.checkoutParams.get(first.body.sessionId)!;
      expect(params).toMatchObject({
        mode: 'subscription',
        client_reference_id: account,
        payment_method_collection: 'always',
        metadata: { account_id: account },
        subscription_data: { metadata: { account_id: account }, trial_period_days: '3' },
        line_items: [{ price: fake.priceByLookupKey('unlimited_monthly').id, quantity: '1' }],
      });
      const customerId = String(params.customer);
      expect(fake.customers.get(customerId)?.metadata).toEqual({ account_id: account });

      const done = fake.completeCheckout(first.body.sessionId, { fingerprint: 'fp_checkout_1' });
      await h.deliverAndSettle(done.events);
      expect(await h.entitlement(account)).toMatchObject({ covered: true, state: 'trial' });

      await h.deliverAndSettle(fake.cancelNow(done.subscription.id));
      expect(await h.entitlement(account)).toMatchObject({ covered: false, state: 'expired' });

      const again = await checkout(account, { plan: 'unlimited_pro', interval: 'year' });
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({
        trial: false,
        trialPeriodDays: null,
        trialIneligibleReason: 'account_had_trial',
      });
      const againParams = fake.checkoutParams.get(again.body.sessionId)!;
      expect(againParams.customer).toBe(customerId);
      expect(againParams.subscription_data).toEqual({ metadata: { account_id: account } });
      const paid = fake.completeCheckout(again.body.sessionId, { fingerprint: 'fp_checkout_1' });
      await h.deliverAndSettle(paid.events);
      expect(await h.entitlement(account)).toMatchObject({
        covered: true,
        state: 'active',
        plan: 'unlimited_pro',
        interval: 'year',
        trialEndsAt: null,
      });
    });

    it('a card that already had a trial gets none, on another account too', async () => {
      const first = await checkout('acct_checkout_card_a', {
        plan: 'unlimited',
        interval: 'month',
      });
      const done = fake.completeCheckout(first.body.sessionId, { fingerprint: 'fp_shared_card' });
      await h.deliverAndSettle(done.events);
      expect(await h.entitlement('acct_checkout_card_a')).toMatchObject({ state: 'trial' });

      // Account B saved the same card in the portal before checking out.
      const probe = await checkout('acct_checkout_card_b', {
        plan: 'unlimited',
        interval: 'month',
      });
      expect(probe.body.trial).toBe(true);
      fake.attachCard(
        String(fake.checkoutParams.get(probe.body.sessionId)!.customer),
        'fp_shared_card',
      );
      const second = await checkout('acct_checkout_card_b', {
        plan: 'unlimited',
        interval: 'month',
      });
      expect(second.body).toMatchObject({
        trial: false,
        trialIneligibleReason: 'payment_method_had_trial',
      });

      const eligibility = await h.http
        .get('/v1/trials/eligibility')
        .query({ accountId: 'acct_checkout_card_c', paymentFingerprint: 'fp_shared_card' })
        .set('authorization', bearer('gateway'));
      expect(eligibility.status).toBe(200);
      expect(eligibility.body).toEqual({ eligible: false, reason: 'payment_method_had_trial' });
    });

    it('a trial that starts anyway (card unknown at checkout) is recorded against the person', async () => {
      const probe = await checkout('acct_checkout_again', { plan: 'unlimited', interval: 'month' });
      expect(probe.body.trial).toBe(true);
      const done = fake.completeCheckout(probe.body.sessionId, { fingerprint: 'fp_checkout_1' });
      await h.deliverAndSettle(done.events);
      const eligibility = await h.http
        .get('/v1/trials/eligibility')
        .query({ accountId: 'acct_someone_new', paymentFingerprint: 'fp_checkout_1' })
        .set('authorization', bearer('dashboard'));
      expect(eligibility.body).toEqual({ eligible: false, reason: 'payment_method_had_trial' });
    });

    it('a device that had a trial in a store gets no web trial', async () => {
      await h.t.app.get(TrialsService).recordTrial({
        accountId: 'acct_apple_person',
        store: 'apple',
        storeSubscriptionId: '2000000123',
        deviceId: 'device-77',
      });
      const res = await checkout('acct_checkout_device', {
        plan: 'unlimited',
        interval: 'month',
        deviceId: 'device-77',
      });
      expect(res.body).toMatchObject({ trial: false, trialIneligibleReason: 'device_had_trial' });
      const fresh = await h.http
        .get('/v1/trials/eligibility')
        .query({ accountId: 'acct_checkout_device_2', deviceId: 'device-78' })
        .set('authorization', bearer('dashboard'));
      expect(fresh.body).toEqual({ eligible: true, reason: null });
    });

    it('refuses a bad plan, the wrong scope, and reports Stripe failures as 502', async () => {
      await expectError(
        checkout('acct_checkout_bad', { plan: 'gold', interval: 'month' }),
        400,
        'validation_failed',
      );
      await expectError(
        h.http
          .post('/v1/accounts/acct_checkout_bad/checkout-session')
          .set('authorization', bearer('gateway'))
          .send({ plan: 'unlimited', interval: 'month' }),
        403,
        'forbidden',
      );
      fake.failNext({ status: 500, pathPrefix: '/v1/prices', times: 3 });
      await expectError(
        checkout('acct_checkout_bad', { plan: 'unlimited', interval: 'month' }),
        502,
        'stripe_api_error',
      );
    });

    it('opens the Customer Portal for an account with a Stripe customer, 404 without one', async () => {
      const res = await h.http
        .post('/v1/accounts/acct_checkout_1/portal-session')
        .set('authorization', bearer('dashboard'));
      expect(res.status).toBe(201);
      expect(res.body.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
      const session = [...fake.portalSessions.values()].at(-1)!;
      expect(session.return_url).toBe(h.t.config.stripe.portalReturnUrl);
      await expectError(
        h.http
          .post('/v1/accounts/acct_never_paid/portal-session')
          .set('authorization', bearer('dashboard')),
        404,
        'stripe_customer_not_found',
      );
    });
  });
});

describe('the same history, shuffled and duplicated, into a fresh service (re-fetch mode)', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await StripeHarness.start({ fake, start: endAt });
  });
  afterAll(() => h.close());

  it('ends every account with the same answers', async () => {
    const live = [...finals.keys()];
    expect(live.length).toBe(SCENARIOS.length);
    await h.deliver(shuffledWithDuplicates(fake.events, 20260105));
    await h.settle();
    const rows = await h.inboxRows();
    expect(rows.filter((r) => r.status === 'failed')).toEqual([]);
    const answers = new Map<string, Record<string, unknown>>();
    for (const account of live)
      answers.set(account, finalAnswer(await h.entitlementAt(account, endAt)));
    expect(Object.fromEntries(answers)).toEqual(Object.fromEntries(finals));
  });
});
