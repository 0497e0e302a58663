/**
 * The Google Play e2e harness: the real app (test configuration, a manual clock) wired to the
 * fake Google signer (GOOGLE_OIDC_CERTS_URL) and the fake Play Developer API (GOOGLE_PLAY_API_URL,
 * GOOGLE_PLAY_ACCESS_TOKEN), pushing RTDN messages exactly as Pub/Sub does (envelope, base64
 * data, OIDC bearer token), then letting the inbox settle and reading the dashboard entitlement.
 */
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../../src/common/clock';
import { APP_CONFIG, type AppConfig } from '../../../src/config/app-config';
import type { Env } from '../../../src/config/env-parsers';
import { InboxWorker } from '../../../src/inbox/inbox.worker';
import { MetricsService } from '../../../src/metrics/metrics.service';
import {
  GooglePlayDeveloperApi,
  PlayDeveloperApi,
} from '../../../src/stores/google/google-play-api.client';
import { FakeGoogleOidcSigner } from '../../fakes/google/oidc-signer.fake';
import { FakePlayDeveloperApi } from '../../fakes/google/play-api.fake';
import {
  DeveloperNotificationJson,
  SubscriptionSpec,
  pubsubPush,
  subscriptionNotification,
  subscriptionPurchase,
  voidedPurchaseNotification,
} from '../../fakes/google/subscription-purchase.builder';
import { createTestApp, type TestApp } from '../../support/test-app';
import { bearer } from '../../support/test-keys';
import { waitFor } from '../../support/wait';

export const PACKAGE = 'com.example.creative';
export const AUDIENCE = 'https://entitlements.example.com/webhooks/google';
export const PUSHER = 'play-rtdn-push@example-project.iam.gserviceaccount.com';

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
  manage: { kind: string; url: string; readOnly: boolean } | null;
  limits: { image: number; video: number };
  subscriptions: Array<{
    store: string;
    storeSubscriptionId: string;
    state: string;
    plan: string | null;
    covered: boolean;
    excluded: string | null;
    primary: boolean;
    sandbox: boolean;
  }>;
  duplicateBilling: boolean;
}

export interface InboxRow {
  store_event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  outcome_note: string | null;
  last_error: string | null;
}

export interface HarnessOptions {
  env?: Env;
  start?: Date;
  /** Client timeout of the Play API calls (the production client, shorter for the hang tests). */
  playTimeoutMs?: number;
}

const DAY = 86_400_000;

export class GoogleHarness {
  private messageSeq = 0;

  private constructor(
    readonly t: TestApp,
    readonly signer: FakeGoogleOidcSigner,
    readonly play: FakePlayDeveloperApi,
    readonly clock: ManualClock,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<GoogleHarness> {
    const signer = await FakeGoogleOidcSigner.start();
    const play = await FakePlayDeveloperApi.start();
    const clock = new ManualClock(options.start ?? new Date('2026-01-05T10:00:00Z'));
    const env: Env = {
      GOOGLE_PACKAGE_NAME: PACKAGE,
      GOOGLE_PUBSUB_AUDIENCE: AUDIENCE,
      GOOGLE_PUBSUB_SERVICE_ACCOUNT: PUSHER,
      GOOGLE_OIDC_CERTS_URL: signer.certsUrl,
      GOOGLE_PLAY_API_URL: play.rootUrl,
      GOOGLE_PLAY_ACCESS_TOKEN: play.accessToken ?? undefined,
      INBOX_BACKOFF_BASE_MS: '1000',
      INBOX_BACKOFF_MAX_MS: '60000',
      ...options.env,
    };
    const timeoutMs = options.playTimeoutMs;
    const t = await createTestApp({
      env,
      clock,
      override:
        timeoutMs === undefined
          ? undefined
          : (b) =>
              b.overrideProvider(PlayDeveloperApi).useFactory({
                factory: (config: AppConfig) => new GooglePlayDeveloperApi(config, { timeoutMs }),
                inject: [APP_CONFIG],
              }),
    });
    return new GoogleHarness(t, signer, play, clock);
  }

  async close(): Promise<void> {
    await this.t.close();
    await this.play.stop();
    await this.signer.stop();
  }

  get http() {
    return request(this.t.server);
  }

  /** A genuine push token for the configured audience and service account. */
  token(): string {
    return this.signer.token(AUDIENCE, PUSHER);
  }

  /** The obfuscated account id the service issues for an account (GET /v1/accounts/{id}/store-ids). */
  async googleIdFor(accountId: string): Promise<string> {
    const res = await this.http
      .get(`/v1/accounts/${accountId}/store-ids`)
      .set('authorization', bearer('dashboard'));
    if (res.status !== 200) throw new Error(`store-ids answered ${res.status}`);
    return (res.body as { googleObfuscatedAccountId: string }).googleObfuscatedAccountId;
  }

  /** Sets what Google answers for a token (times relative to the app's clock are the caller's). */
  setPurchase(token: string, spec: SubscriptionSpec): void {
    this.play.put(PACKAGE, token, subscriptionPurchase(spec));
  }

  nextMessageId(): string {
    this.messageSeq += 1;
    return String(4_000_000_000_000 + this.messageSeq);
  }

  /** POSTs a push as Pub/Sub does; returns the response. */
  push(body: unknown, authorization: string | null = `Bearer ${this.token()}`): request.Test {
    const req = this.http
      .post('/webhooks/google')
      .set('content-type', 'application/json')
      .set(
        'user-agent',
        'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
      );
    if (authorization !== null) void req.set('authorization', authorization);
    return req.send(body as object);
  }

  /** Pushes one notification (a fresh messageId unless given); expects 200. Returns the messageId. */
  async deliver(
    notification: DeveloperNotificationJson | string,
    messageId = this.nextMessageId(),
  ): Promise<string> {
    const res = await this.push(pubsubPush(messageId, notification, this.clock.now()));
    if (res.status !== 200) {
      throw new Error(`push ${messageId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return messageId;
  }

  subscriptionEvent(type: number, token: string): DeveloperNotificationJson {
    return subscriptionNotification(PACKAGE, type, token, this.clock.now());
  }

  voided(token: string, productType = 1): DeveloperNotificationJson {
    return voidedPurchaseNotification(PACKAGE, token, this.clock.now(), productType);
  }

  /** Delivers a subscription notification and processes it. */
  async notify(type: number, token: string): Promise<string> {
    const id = await this.deliver(this.subscriptionEvent(type, token));
    await this.settle();
    return id;
  }

  private async unsettled(): Promise<number> {
    const rows: Array<{ n: string }> = await this.t.app
      .get(DataSource)
      .query(
        `SELECT count(*) AS n FROM inbox_events WHERE store = 'google' AND status IN ('pending', 'processing')`,
      );
    return Number(rows[0].n);
  }

  /** Runs the inbox once (due events only); the clock does not move. */
  async drainOnce(): Promise<void> {
    await this.t.app.get(InboxWorker).drain();
  }

  /**
   * Processes every stored event, moving the clock past retry backoffs (then back) until nothing
   * is pending.
   */
  async settle(): Promise<void> {
    const worker = this.t.app.get(InboxWorker);
    const at = this.clock.now();
    try {
      await waitFor(
        async () => {
          await worker.drain();
          if ((await this.unsettled()) === 0) return true;
          this.clock.advance(61_000);
          return false;
        },
        { timeoutMs: 20_000, what: 'the Google inbox to settle' },
      );
    } finally {
      this.clock.set(at);
    }
  }

  /** Moves the app's clock forward by days. */
  advanceDays(days: number): void {
    this.clock.advance(days * DAY);
  }

  daysFromNow(days: number): Date {
    return new Date(this.clock.now().getTime() + days * DAY);
  }

  async entitlement(accountId: string): Promise<EntitlementBody> {
    const res = await this.http
      .get(`/v1/accounts/${accountId}/entitlement`)
      .set('authorization', bearer('dashboard'));
    if (res.status !== 200)
      throw new Error(`entitlement answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as EntitlementBody;
  }

  async history(
    accountId: string,
  ): Promise<Array<{ transition: string; storeSubscriptionId: string | null }>> {
    const res = await this.http
      .get(`/v1/accounts/${accountId}/history`)
      .set('authorization', bearer('dashboard'));
    if (res.status !== 200) throw new Error(`history answered ${res.status}`);
    return (
      res.body as { entries: Array<{ transition: string; storeSubscriptionId: string | null }> }
    ).entries;
  }

  async inboxRow(messageId: string): Promise<InboxRow | undefined> {
    const rows: InboxRow[] = await this.t.app.get(DataSource).query(
      `SELECT store_event_id, event_type, status, attempts, outcome_note, last_error
           FROM inbox_events WHERE store = 'google' AND store_event_id = $1`,
      [messageId],
    );
    return rows[0];
  }

  async inboxCount(): Promise<number> {
    const rows: Array<{ n: string }> = await this.t.app
      .get(DataSource)
      .query(`SELECT count(*) AS n FROM inbox_events WHERE store = 'google'`);
    return Number(rows[0].n);
  }

  metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return this.t.app.get(MetricsService).value(name, labels);
  }
}
