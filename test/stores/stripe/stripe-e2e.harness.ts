/**
 * The Stripe e2e harness: the real app (test configuration, a manual clock) wired to the Stripe
 * API fake, posting events exactly as Stripe would (pretty JSON body, `Stripe-Signature` from the
 * SDK's helper), then waiting for the inbox to settle and reading the dashboard's entitlement.
 */
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../../src/common/clock';
import type { Env } from '../../../src/config/env-parsers';
import { InboxWorker } from '../../../src/inbox/inbox.worker';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { createTestApp, type TestApp } from '../../support/test-app';
import { bearer } from '../../support/test-keys';
import { waitFor } from '../../support/wait';
import { StripeApiFake } from '../../fakes/stripe/stripe-api.fake';
import {
  eventBody,
  signStripePayload,
  webhookSecret,
  type StripeEventJson,
} from '../../fakes/stripe/stripe-events.builder';

export interface HarnessOptions {
  /** Configure STRIPE_SECRET_KEY (re-fetch, Checkout, Portal). Default true. */
  withKey?: boolean;
  /** Configure a webhook secret. Default true. */
  withSecret?: boolean;
  env?: Env;
  start?: Date;
  /** Use this (running, seeded) fake instead of a new one; it is left running on close. */
  fake?: StripeApiFake;
}

export interface EntitlementBody {
  accountId: string;
  covered: boolean;
  reason: string | null;
  plan: string | null;
  interval: string | null;
  state: string;
  provider: string | null;
  trialEndsAt: string | null;
  currentPeriodEnd: string | null;
  paidThrough: string | null;
  cancelAtPeriodEnd: boolean;
  pendingChange: { plan: string; interval: string; effectiveAt: string } | null;
  limits: { image: number; video: number };
  subscriptions: Array<{
    storeSubscriptionId: string;
    state: string;
    plan: string | null;
    covered: boolean;
  }>;
  duplicateBilling: boolean;
}

export class StripeHarness {
  private constructor(
    readonly t: TestApp,
    readonly fake: StripeApiFake,
    readonly clock: ManualClock,
    /** The configured webhook secret. */
    readonly secret: string,
    private readonly ownsFake: boolean,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<StripeHarness> {
    const fake =
      options.fake ?? new StripeApiFake(options.start ?? new Date('2026-01-05T10:00:00Z'));
    if (!options.fake) {
      await fake.start();
      fake.seedCatalog();
    }
    const clock = new ManualClock(options.start ?? fake.nowDate);
    const secret = webhookSecret();
    const env: Env = {
      ACCEPT_SANDBOX: 'true',
      INBOX_BACKOFF_BASE_MS: '1000',
      INBOX_BACKOFF_MAX_MS: '60000',
      ...(options.withSecret === false ? {} : { STRIPE_WEBHOOK_SECRET: secret }),
      ...(options.withKey === false
        ? {}
        : { STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_URL: fake.url }),
      ...options.env,
    };
    const t = await createTestApp({ env, clock });
    return new StripeHarness(t, fake, clock, secret, !options.fake);
  }

  async close(): Promise<void> {
    await this.t.close();
    if (this.ownsFake) await this.fake.stop();
  }

  get http() {
    return request(this.t.server);
  }

  /** Moves the app's clock to the fake's (never back). */
  syncClock(): void {
    if (this.fake.now * 1000 > this.clock.now().getTime()) this.clock.set(this.fake.nowDate);
  }

  /** Posts one event as Stripe does (signed at the app's current time unless told otherwise). */
  post(
    event: StripeEventJson | string,
    opts: { timestamp?: number; secret?: string | string[]; signature?: string | null } = {},
  ) {
    const body = typeof event === 'string' ? event : eventBody(event);
    const timestamp = opts.timestamp ?? Math.floor(this.clock.now().getTime() / 1000);
    const signature =
      opts.signature === null
        ? undefined
        : (opts.signature ?? signStripePayload(body, opts.secret ?? this.secret, timestamp));
    const req = this.http
      .post('/webhooks/stripe')
      .set('content-type', 'application/json; charset=utf-8')
      .set('user-agent', 'Stripe/1.0 (+https://stripe.com/docs/webhooks)');
    if (signature !== undefined) void req.set('stripe-signature', signature);
    return req.send(body);
  }

  /** Delivers events (in the given order), each acknowledged with 200. */
  async deliver(events: StripeEventJson[]): Promise<void> {
    for (const event of events) {
      const res = await this.post(event);
      if (res.status !== 200) {
        throw new Error(
          `delivery of ${event.type} ${event.id} answered ${res.status}: ${JSON.stringify(res.body)}`,
        );
      }
    }
  }

  private async unsettled(): Promise<number> {
    const rows: Array<{ n: string }> = await this.t.app
      .get(DataSource)
      .query(
        `SELECT count(*) AS n FROM inbox_events WHERE store = 'stripe' AND status IN ('pending', 'processing')`,
      );
    return Number(rows[0].n);
  }

  /**
   * Processes every stored event, moving the clock past retry backoffs when an event waits for
   * another, until nothing is pending. The clock only moves forward (re-fetched pictures are
   * stamped with it).
   */
  async settle(): Promise<void> {
    const worker = this.t.app.get(InboxWorker);
    await waitFor(
      async () => {
        await worker.drain();
        if ((await this.unsettled()) === 0) return true;
        this.clock.advance(61_000);
        return false;
      },
      { timeoutMs: 30_000, what: 'the Stripe inbox to settle' },
    );
  }

  async deliverAndSettle(events: StripeEventJson[]): Promise<void> {
    this.syncClock();
    await this.deliver(events);
    await this.settle();
  }

  async entitlement(accountId: string): Promise<EntitlementBody> {
    const res = await this.http
      .get(`/v1/accounts/${accountId}/entitlement`)
      .set('authorization', bearer('dashboard'));
    if (res.status !== 200)
      throw new Error(`entitlement answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as EntitlementBody;
  }

  /** The entitlement at an instant (the clock moves there and back). */
  async entitlementAt(accountId: string, at: Date): Promise<EntitlementBody> {
    const now = this.clock.now();
    this.clock.set(at);
    try {
      return await this.entitlement(accountId);
    } finally {
      this.clock.set(now);
    }
  }

  async inboxRows(): Promise<
    Array<{
      store_event_id: string;
      event_type: string;
      status: string;
      outcome_note: string | null;
      last_error: string | null;
    }>
  > {
    return this.t.app
      .get(DataSource)
      .query(
        `SELECT store_event_id, event_type, status, outcome_note, last_error FROM inbox_events WHERE store = 'stripe' ORDER BY received_at, id`,
      );
  }

  metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return this.t.app.get(MetricsService).value(name, labels);
  }

  async suspended(accountId: string): Promise<boolean> {
    const rows: Array<{ suspended_at: Date | null }> = await this.t.app
      .get(DataSource)
      .query('SELECT suspended_at FROM accounts WHERE id = $1', [accountId]);
    return rows.length > 0 && rows[0].suspended_at !== null;
  }
}
