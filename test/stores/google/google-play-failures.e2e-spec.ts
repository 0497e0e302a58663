/**
 * When the Play Developer API fails after the push was acknowledged: the event stays in the inbox
 * and is retried with backoff (5xx, 429, timeouts), or is failed and recorded at once when Google
 * says the token will never be readable (404, 410). Nothing acknowledged is lost.
 */
import { GoogleInboxFailure } from '../../../src/stores/google/google-errors';
import { waitFor } from '../../support/wait';
import { GoogleHarness, PACKAGE } from './google-e2e.harness';

describe('Google Play API failures (e2e)', () => {
  let h: GoogleHarness;

  beforeAll(async () => {
    h = await GoogleHarness.start({ playTimeoutMs: 400 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.play.clearFailures();
  });

  async function firstAttempt(messageId: string) {
    await waitFor(
      async () => {
        await h.drainOnce();
        const row = await h.inboxRow(messageId);
        return row !== undefined && row.attempts >= 1 && row.status !== 'processing';
      },
      { what: `the first attempt of ${messageId}` },
    );
    return h.inboxRow(messageId);
  }

  async function linkedPurchase(name: string) {
    const gid = await h.googleIdFor(name);
    const token = `tok-${name}`;
    h.setPurchase(token, {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
      obfuscatedAccountId: gid,
    });
    return token;
  }

  it.each([
    [500, 'HTTP 500'],
    [503, 'HTTP 503'],
    [429, 'HTTP 429'],
    ['hang', 'timed out'],
  ] as const)(
    'a Play API %s keeps the event pending for a retry with backoff, then it is processed',
    async (status, error) => {
      const acc = `acct-fail-${status}`;
      const token = await linkedPurchase(acc);
      h.play.fail({ call: 'subscriptionsv2.get', token, status, times: 2 });
      const messageId = await h.deliver(h.subscriptionEvent(4, token));

      expect(await firstAttempt(messageId)).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_error: expect.stringContaining(error),
      });
      expect(await h.entitlement(acc)).toMatchObject({ covered: false, state: 'no_subscription' });

      await h.settle();
      expect(await h.inboxRow(messageId)).toMatchObject({ status: 'processed', attempts: 3 });
      expect(h.play.calls('subscriptionsv2.get', token)).toHaveLength(3);
      expect(await h.entitlement(acc)).toMatchObject({ covered: true, state: 'active' });
    },
  );

  it.each([
    [404, GoogleInboxFailure.PurchaseTokenNotFound],
    [410, GoogleInboxFailure.PurchaseTokenGone],
  ] as const)(
    'a Play API %s for the token fails the event at once and records why',
    async (status, reason) => {
      const token = `tok-gone-${status}`;
      h.setPurchase(token, { state: 'SUBSCRIPTION_STATE_EXPIRED', expiryTime: h.daysFromNow(-90) });
      h.play.fail({ call: 'subscriptionsv2.get', token, status, times: 5 });
      const counted = await h.metric('store_events_unprocessable_total', {
        store: 'google',
        reason,
      });
      const messageId = await h.deliver(h.subscriptionEvent(13, token));
      await h.settle();
      expect(await h.inboxRow(messageId)).toMatchObject({
        status: 'failed',
        attempts: 1,
        last_error: expect.stringContaining(reason),
      });
      expect(h.play.calls('subscriptionsv2.get', token)).toHaveLength(1);
      expect(await h.metric('store_events_unprocessable_total', { store: 'google', reason })).toBe(
        counted + 1,
      );
    },
  );

  it('an unknown token (Google answers 404) is failed, not retried forever', async () => {
    const messageId = await h.deliver(h.subscriptionEvent(2, 'tok-never-existed'));
    await h.settle();
    expect(await h.inboxRow(messageId)).toMatchObject({
      status: 'failed',
      last_error: expect.stringContaining(GoogleInboxFailure.PurchaseTokenNotFound),
    });
  });

  it('SUBSCRIPTION_STATE_UNSPECIFIED is failed as unmappable, granting nothing', async () => {
    const acc = 'acct-odd-state';
    const token = await linkedPurchase(acc);
    h.play.update(PACKAGE, token, (r) => {
      r.subscriptionState = 'SUBSCRIPTION_STATE_UNSPECIFIED';
    });
    const messageId = await h.deliver(h.subscriptionEvent(4, token));
    await h.settle();
    expect(await h.inboxRow(messageId)).toMatchObject({
      status: 'failed',
      last_error: expect.stringContaining(GoogleInboxFailure.UnknownSubscriptionState),
    });
    expect(await h.entitlement(acc)).toMatchObject({ covered: false, state: 'no_subscription' });
  });

  it('a notification type Google adds later is still re-read and applied', async () => {
    const acc = 'acct-new-type';
    const token = await linkedPurchase(acc);
    const messageId = await h.notify(99, token);
    expect(await h.inboxRow(messageId)).toMatchObject({
      status: 'processed',
      event_type: 'SUBSCRIPTION_NOTIFICATION_99',
    });
    expect(await h.entitlement(acc)).toMatchObject({ covered: true, state: 'active' });
  });

  it('a failed acknowledgement is retried; the entitlement is granted meanwhile and the purchase acknowledged once', async () => {
    const acc = 'acct-ack-fail';
    const token = await linkedPurchase(acc);
    h.play.fail({ call: 'subscriptions.acknowledge', token, status: 503 });
    const messageId = await h.deliver(h.subscriptionEvent(4, token));

    expect(await firstAttempt(messageId)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await h.entitlement(acc)).toMatchObject({ covered: true, state: 'active' });
    expect(h.play.get(PACKAGE, token)?.acknowledgementState).toBe('ACKNOWLEDGEMENT_STATE_PENDING');

    await h.settle();
    expect(await h.inboxRow(messageId)).toMatchObject({ status: 'processed' });
    expect(h.play.get(PACKAGE, token)?.acknowledgementState).toBe(
      'ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED',
    );
    const acks = h.play.calls('subscriptions.acknowledge', token);
    expect(acks.map((r) => r.status)).toEqual([503, 200]);
  });

  it('reads with the configured bearer token on Google’s paths', async () => {
    const token = await linkedPurchase('acct-paths');
    await h.notify(4, token);
    const [read] = h.play.calls('subscriptionsv2.get', token);
    expect(read).toMatchObject({
      path: `/androidpublisher/v3/applications/${PACKAGE}/purchases/subscriptionsv2/tokens/${token}`,
      authorization: `Bearer ${h.play.accessToken}`,
    });
    const [ack] = h.play.calls('subscriptions.acknowledge', token);
    expect(ack.path).toBe(
      `/androidpublisher/v3/applications/${PACKAGE}/purchases/subscriptions/unlimited/tokens/${token}:acknowledge`,
    );
  });
});
