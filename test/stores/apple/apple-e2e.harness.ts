/**
 * The Apple e2e harness: the real app configured exactly as in production except for the trusted
 * root (a CA generated for the run, written to a file and named by APPLE_ROOT_CERTS) and online
 * checks (off: no OCSP to Apple). Notifications are posted as the App Store posts them, then the
 * inbox is drained and the dashboard's entitlement is read.
 */
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../../src/common/clock';
import type { Env } from '../../../src/config/env-parsers';
import { InboxWorker } from '../../../src/inbox/inbox.worker';
import { MetricsService } from '../../../src/metrics/metrics.service';
import {
  AppleNotificationSigner,
  TEST_APPLE_APP,
  type SignedNotification,
} from '../../fakes/apple/apple-notification.builder';
import {
  AppleSubscriptionSimulator,
  type SimulatorOptions,
} from '../../fakes/apple/apple-subscription.simulator';
import { AppleTestCa } from '../../fakes/apple/apple-test-ca';
import { createTestApp, type TestApp } from '../../support/test-app';
import { bearer } from '../../support/test-keys';
import { waitFor } from '../../support/wait';

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
    sandbox: boolean;
  }>;
  duplicateBilling: boolean;
}

export interface InboxRow {
  store_event_id: string;
  event_type: string;
  status: string;
  outcome_note: string | null;
  last_error: string | null;
}

/** A minute-aligned instant near the real now: the generated certificates are valid around it. */
export function runStart(): number {
  return Math.floor(Date.now() / 60_000) * 60_000;
}

export class AppleHarness {
  private accounts = 0;

  private constructor(
    readonly t: TestApp,
    readonly clock: ManualClock,
    readonly ca: AppleTestCa,
    readonly signer: AppleNotificationSigner,
  ) {}

  static async start(
    options: { env?: Env; start?: number; ca?: AppleTestCa } = {},
  ): Promise<AppleHarness> {
    const ca = options.ca ?? AppleTestCa.create();
    const clock = new ManualClock(new Date(options.start ?? runStart()));
    const env: Env = {
      APPLE_ROOT_CERTS: ca.writeRoot('pem'),
      APPLE_BUNDLE_ID: TEST_APPLE_APP.bundleId,
      APPLE_APP_APPLE_ID: String(TEST_APPLE_APP.appAppleId),
      APPLE_ONLINE_CHECKS: 'false',
      ...options.env,
    };
    const t = await createTestApp({ env, clock });
    return new AppleHarness(t, clock, ca, new AppleNotificationSigner(ca.signer()));
  }

  close(): Promise<void> {
    return this.t.close();
  }

  get http() {
    return request(this.t.server);
  }

  /** A new account id for this run and the appAccountToken the service issues it. */
  async account(prefix = 'apple'): Promise<{ accountId: string; token: string }> {
    this.accounts += 1;
    const accountId = `${prefix}_${this.accounts}_${Math.random().toString(36).slice(2, 8)}`;
    const res = await this.http
      .get(`/v1/accounts/${accountId}/store-ids`)
      .set('authorization', bearer('dashboard'));
    if (res.status !== 200) throw new Error(`store-ids answered ${res.status}`);
    return {
      accountId,
      token: (res.body as { appleAppAccountToken: string }).appleAppAccountToken,
    };
  }

  simulator(options: SimulatorOptions = {}): AppleSubscriptionSimulator {
    return new AppleSubscriptionSimulator(this.signer, options);
  }

  post(body: unknown) {
    return this.http
      .post('/webhooks/apple')
      .set('content-type', 'application/json')
      .set('user-agent', 'App Store Server Notifications')
      .send(body as object);
  }

  /** Posts each notification (in the given order), each acknowledged with 200. */
  async deliver(notifications: SignedNotification[]): Promise<void> {
    for (const n of notifications) {
      const res = await this.post(n.body);
      if (res.status !== 200) {
        throw new Error(
          `delivery of ${n.payload.notificationType} answered ${res.status}: ${JSON.stringify(res.body)}`,
        );
      }
    }
  }

  private async unsettled(): Promise<number> {
    const rows: Array<{ n: string }> = await this.t.app
      .get(DataSource)
      .query(
        `SELECT count(*) AS n FROM inbox_events WHERE store = 'apple' AND status IN ('pending', 'processing')`,
      );
    return Number(rows[0].n);
  }

  /** Processes every stored Apple event. */
  async settle(): Promise<void> {
    const worker = this.t.app.get(InboxWorker);
    await waitFor(
      async () => {
        await worker.drain();
        return (await this.unsettled()) === 0;
      },
      { timeoutMs: 20_000, what: 'the Apple inbox to settle' },
    );
  }

  /** Moves the clock to the notification's signedDate (never back), delivers it and settles. */
  async send(notification: SignedNotification): Promise<void> {
    const at = notification.payload.signedDate ?? 0;
    if (at > this.clock.now().getTime()) this.clock.set(new Date(at));
    await this.deliver([notification]);
    await this.settle();
  }

  async entitlement(accountId: string): Promise<EntitlementBody> {
    const res = await this.http
      .get(`/v1/accounts/${accountId}/entitlement`)
      .set('authorization', bearer('dashboard'));
    if (res.status !== 200) {
      throw new Error(`entitlement answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body as EntitlementBody;
  }

  /** The entitlement at an instant (the clock moves there and back). */
  async entitlementAt(accountId: string, at: number): Promise<EntitlementBody> {
    const now = this.clock.now();
    this.clock.set(new Date(at));
    try {
      return await this.entitlement(accountId);
    } finally {
      this.clock.set(now);
    }
  }

  async history(accountId: string): Promise<string[]> {
    const res = await this.http
      .get(`/v1/accounts/${accountId}/history`)
      .set('authorization', bearer('dashboard'));
    if (res.status !== 200) throw new Error(`history answered ${res.status}`);
    return (res.body as { entries: Array<{ transition: string }> }).entries.map(
      (e) => e.transition,
    );
  }

  async inboxRows(): Promise<InboxRow[]> {
    return this.t.app.get(DataSource).query(
      `SELECT store_event_id, event_type, status, outcome_note, last_error
           FROM inbox_events WHERE store = 'apple' ORDER BY received_at, id`,
    );
  }

  async inboxRow(notificationUUID: string): Promise<InboxRow | undefined> {
    return (await this.inboxRows()).find((r) => r.store_event_id === notificationUUID);
  }

  async storedCount(): Promise<number> {
    return (await this.inboxRows()).length;
  }

  metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return this.t.app.get(MetricsService).value(name, labels);
  }
}
