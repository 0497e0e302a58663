/**
 * Found by the crash test: with no STRIPE_SECRET_KEY, the Stripe handler builds every snapshot
 * from the newest subscription version in its mirror, so an event processed after a newer one
 * contributes nothing. The state's sticky aggregates (`hadPaidPeriod`: "some snapshot showed a
 * paid period") then depend on delivery order, against SPEC §5 ("any permutation of a lifecycle's
 * events must end in the same state as time order"), and `hadPaidPeriod` feeds trial eligibility.
 *
 * Fixed by applying the event's own version too when it is older than the mirrored one: its
 * snapshot is stale but grows the aggregates.
 */
import request from 'supertest';
import { DataSource } from 'typeorm';
import { InboxWorker } from '../../src/inbox/inbox.worker';
import { StripeApiFake } from '../fakes/stripe/stripe-api.fake';
import {
  eventBody,
  signStripePayload,
  StripeEventJson,
  webhookSecret,
} from '../fakes/stripe/stripe-events.builder';
import { createTestApp, TestApp } from '../support/test-app';
import { createIsolatedDatabase } from '../support/test-database';

describe('Stripe events delivered in another order', () => {
  const secret = webhookSecret();
  const apps: TestApp[] = [];
  const drops: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const t of apps) await t.close();
    for (const drop of drops) await drop();
  });

  async function outcome(events: StripeEventJson[]): Promise<Record<string, unknown>> {
    const isolated = await createIsolatedDatabase();
    if (isolated) drops.push(isolated.drop);
    const t = await createTestApp({
      env: {
        STRIPE_WEBHOOK_SECRET: secret,
        ACCEPT_SANDBOX: 'true',
        ...(isolated ? { DATABASE_URL: isolated.url } : {}),
      },
    });
    apps.push(t);
    for (const event of events) {
      const body = eventBody(event);
      await request(t.server)
        .post('/webhooks/stripe')
        .set('content-type', 'application/json')
        .set('stripe-signature', signStripePayload(body, secret, Math.floor(Date.now() / 1000)))
        .send(body)
        .expect(200);
    }
    await t.app.get(InboxWorker).drain();
    const rows = (await t.app
      .get(DataSource)
      .query(`SELECT status, state FROM store_subscriptions`)) as {
      status: string;
      state: Record<string, unknown>;
    }[];
    expect(rows).toHaveLength(1);
    return { status: rows[0].status, hadPaidPeriod: rows[0].state.hadPaidPeriod };
  }

  test('a paid-then-past-due subscription ends the same in time and reverse order', async () => {
    const fake = new StripeApiFake(new Date(Date.now() - 40 * 86_400_000));
    fake.seedCatalog();
    const customer = fake.addCustomer({ metadata: { account_id: 'order-1' } });
    const started = fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_monthly',
      metadata: { account_id: 'order-1' },
    });
    const events = [
      ...started.events,
      ...fake.endOfPeriod(started.subscription.id, { paymentSucceeds: false }),
    ];
    const inTimeOrder = await outcome(events);
    // Time order saw the paid period.
    expect(inTimeOrder.hadPaidPeriod).toBe(true);
    expect(await outcome([...events].reverse())).toEqual(inTimeOrder);
  });
});
