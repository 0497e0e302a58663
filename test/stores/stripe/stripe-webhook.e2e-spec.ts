import { expectError } from '../../support/http';
import { bearer } from '../../support/test-keys';
import {
  buildStripeEvent,
  eventBody,
  signStripePayload,
  webhookSecret,
} from '../../fakes/stripe/stripe-events.builder';
import { StripeHarness } from './stripe-e2e.harness';

/** POST /webhooks/stripe: verification, store-then-acknowledge, and every documented refusal. */
describe('POST /webhooks/stripe', () => {
  let h: StripeHarness;

  beforeAll(async () => {
    h = await StripeHarness.start({ withKey: false });
  });
  afterAll(() => h.close());

  function subscriptionEvent() {
    const customer = h.fake.addCustomer({ metadata: { account_id: 'acct_hook' } });
    const { events } = h.fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_monthly',
      fingerprint: 'fp_hook',
      metadata: { account_id: 'acct_hook' },
    });
    h.syncClock();
    return events.find((e) => e.type === 'customer.subscription.created')!;
  }

  it('stores a verified event, acknowledges it, and a redelivery is a no-op', async () => {
    const event = subscriptionEvent();
    const first = await h.post(event);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true, duplicate: false });
    const again = await h.post(event);
    expect(again.body).toEqual({ received: true, duplicate: true });
    await h.settle();
    const rows = (await h.inboxRows()).filter((r) => r.store_event_id === event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('processed');
    expect((await h.entitlement('acct_hook')).covered).toBe(true);
  });

  describe('refusals: 4xx in the envelope, a metric, nothing stored', () => {
    const cases: Array<{
      name: string;
      reason: string;
      code: string;
      send: (body: string) => ReturnType<StripeHarness['post']>;
    }> = [
      {
        name: 'no signature',
        reason: 'signature_missing',
        code: 'stripe_signature_missing',
        send: (b) => h.post(b, { signature: null }),
      },
      {
        name: 'a header without v1',
        reason: 'signature_malformed',
        code: 'stripe_signature_malformed',
        send: (b) => h.post(b, { signature: 't=123' }),
      },
      {
        name: 'a wrong secret',
        reason: 'signature_mismatch',
        code: 'stripe_signature_mismatch',
        send: (b) => h.post(b, { secret: webhookSecret() }),
      },
      {
        name: 'a body altered after signing',
        reason: 'signature_mismatch',
        code: 'stripe_signature_mismatch',
        send: (b) => {
          const t = Math.floor(h.clock.now().getTime() / 1000);
          const signature = signStripePayload(b, h.secret, t);
          return h.post(b.replace('"livemode": false', '"livemode": true'), { signature });
        },
      },
      {
        name: 'a timestamp outside the tolerance',
        reason: 'timestamp_outside_tolerance',
        code: 'stripe_timestamp_outside_tolerance',
        send: (b) => h.post(b, { timestamp: Math.floor(h.clock.now().getTime() / 1000) - 301 }),
      },
      {
        name: 'signed JSON that is not an event',
        reason: 'event_malformed',
        code: 'stripe_event_malformed',
        send: () => h.post('{"object":"event","type":"invoice.paid"}'),
      },
    ];

    it.each(cases)('$name → 400 $code', async ({ reason, code, send }) => {
      const event = subscriptionEvent();
      const before = await h.metric('webhook_rejections_total', { store: 'stripe', reason });
      await expectError(send(eventBody(event)), 400, code);
      expect(await h.metric('webhook_rejections_total', { store: 'stripe', reason })).toBe(
        before + 1,
      );
      expect((await h.inboxRows()).some((r) => r.store_event_id === event.id)).toBe(false);
    });

    it('a body that is not JSON is refused before anything else, and counted', async () => {
      const before = await h.metric('webhook_rejections_total', {
        store: 'stripe',
        reason: 'payload_not_json',
      });
      const res = await h.post('this is { not json');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: { code: expect.any(String), message: expect.any(String) },
      });
      expect(
        await h.metric('webhook_rejections_total', { store: 'stripe', reason: 'payload_not_json' }),
      ).toBe(before + 1);
    });

    it('a wrong media type is refused with 415 and counted', async () => {
      const before = await h.metric('webhook_rejections_total', {
        store: 'stripe',
        reason: 'unsupported_media_type',
      });
      const res = await h.http
        .post('/webhooks/stripe')
        .set('content-type', 'text/plain')
        .send('hello');
      expect(res.status).toBe(415);
      expect(
        await h.metric('webhook_rejections_total', {
          store: 'stripe',
          reason: 'unsupported_media_type',
        }),
      ).toBe(before + 1);
    });
  });

  describe('verified but unusable content: stored, acknowledged, reported', () => {
    it('an event type the service does not use is stored and ignored', async () => {
      const customer = h.fake.addCustomer();
      const event = buildStripeEvent('customer.created', customer, { created: h.fake.now });
      expect((await h.post(event)).status).toBe(200);
      await h.settle();
      const row = (await h.inboxRows()).find((r) => r.store_event_id === event.id);
      expect(row).toMatchObject({ status: 'ignored', event_type: 'customer.created' });
    });

    it('a subscription event carrying the wrong object fails at once and is counted', async () => {
      const charge = buildStripeEvent('customer.subscription.updated', h.fake.addCustomer(), {
        created: h.fake.now,
      });
      const before = await h.metric('stripe_event_problems_total', { problem: 'unusable_event' });
      expect((await h.post(charge)).status).toBe(200);
      await h.settle();
      const row = (await h.inboxRows()).find((r) => r.store_event_id === charge.id);
      expect(row?.status).toBe('failed');
      expect(row?.last_error).toMatch(/subscription/);
      expect(await h.metric('stripe_event_problems_total', { problem: 'unusable_event' })).toBe(
        before + 1,
      );
    });

    it('an unknown price is applied as granting nothing, and reported', async () => {
      const customer = h.fake.addCustomer();
      const { events } = h.fake.startSubscription({
        customer: customer.id,
        lookupKey: 'legacy_creator_monthly',
        metadata: { account_id: 'acct_legacy' },
      });
      const before = await h.metric('stripe_event_problems_total', { problem: 'unknown_price' });
      await h.deliverAndSettle(events);
      const body = await h.entitlement('acct_legacy');
      expect(body.covered).toBe(false);
      expect(body.subscriptions).toHaveLength(1);
      expect(
        await h.metric('stripe_event_problems_total', { problem: 'unknown_price' }),
      ).toBeGreaterThan(before);
      const created = (await h.inboxRows()).find((r) => r.store_event_id === events[0].id);
      expect(created?.status).toBe('processed');
      expect(created?.outcome_note).toMatch(/legacy_creator_monthly/);
    });

    it('an event for an unknown customer is kept unlinked and reported', async () => {
      const customer = h.fake.addCustomer();
      const { events } = h.fake.startSubscription({
        customer: customer.id,
        lookupKey: 'unlimited_monthly',
      });
      const before = await h.metric('stripe_event_problems_total', {
        problem: 'unlinked_subscription',
      });
      await h.deliverAndSettle(events);
      const created = (await h.inboxRows()).find((r) => r.store_event_id === events[0].id);
      expect(created?.status).toBe('processed');
      expect(created?.outcome_note).toMatch(/unlinked/);
      expect(
        await h.metric('stripe_event_problems_total', { problem: 'unlinked_subscription' }),
      ).toBeGreaterThan(before);
    });
  });
});

describe('POST /webhooks/stripe without STRIPE_WEBHOOK_SECRET', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await StripeHarness.start({ withKey: false, withSecret: false });
  });
  afterAll(() => h.close());

  it('answers 503 and stores nothing', async () => {
    const customer = h.fake.addCustomer();
    const { events } = h.fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_monthly',
    });
    await expectError(
      h.post(events[0], { secret: webhookSecret() }),
      503,
      'stripe_webhook_not_configured',
    );
    const stored = (await h.inboxRows()).filter((r) => r.store_event_id === events[0].id);
    expect(stored).toEqual([]);
    expect(
      await h.metric('webhook_rejections_total', { store: 'stripe', reason: 'not_configured' }),
    ).toBe(1);
  });

  it('without STRIPE_SECRET_KEY, Checkout and the Customer Portal answer 503 with a clear code', async () => {
    await expectError(
      h.http
        .post('/v1/accounts/acct_nokey/checkout-session')
        .set('authorization', bearer('dashboard'))
        .send({ plan: 'unlimited', interval: 'month' }),
      503,
      'stripe_api_not_configured',
    );
    await expectError(
      h.http
        .post('/v1/accounts/acct_nokey/portal-session')
        .set('authorization', bearer('dashboard')),
      503,
      'stripe_api_not_configured',
    );
    expect(h.fake.requests).toEqual([]);
  });
});

// One app per process at a time (embedded Postgres instances are closed together).
describe('POST /webhooks/stripe during a secret rotation', () => {
  it('accepts the old secret during a rotation (several v1 signatures in one header)', async () => {
    const old = webhookSecret();
    const fresh = webhookSecret();
    const two = await StripeHarness.start({
      withKey: false,
      env: { STRIPE_WEBHOOK_SECRET: `${fresh},${old}` },
    });
    try {
      const customer = two.fake.addCustomer();
      const { events } = two.fake.startSubscription({
        customer: customer.id,
        lookupKey: 'unlimited_monthly',
      });
      two.syncClock();
      const t = Math.floor(two.clock.now().getTime() / 1000);
      const first = eventBody(events[0]);
      const second = eventBody(events[1]);
      const onlyOld = await two.post(first, { signature: signStripePayload(first, old, t) });
      expect(onlyOld.status).toBe(200);
      const both = await two.post(second, {
        signature: signStripePayload(second, [webhookSecret(), old], t),
      });
      expect(both.status).toBe(200);
      const neither = await two.post(second, {
        signature: signStripePayload(second, webhookSecret(), t),
      });
      expect(neither.status).toBe(400);
    } finally {
      await two.close();
    }
  });
});
