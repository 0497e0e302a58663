/**
 * Google Play lifecycles end to end: Pub/Sub pushes (OIDC-signed by the fake Google signer) →
 * inbox → re-read through the fake Play Developer API → entitlement, read back through
 * GET /v1/accounts/{id}/entitlement.
 */
import { GoogleHarness, PACKAGE } from './google-e2e.harness';
import { testNotification } from '../../fakes/google/subscription-purchase.builder';

const iso = (d: Date): string => d.toISOString();

describe('Google Play lifecycles (e2e)', () => {
  let h: GoogleHarness;

  beforeAll(async () => {
    h = await GoogleHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function transitions(accountId: string): Promise<string[]> {
    return (await h.history(accountId)).map((e) => e.transition).reverse();
  }

  it('purchase with a free trial, acknowledged, then the first renewal', async () => {
    const acc = 'acct-trial';
    const gid = await h.googleIdFor(acc);
    const trialEnd = h.daysFromNow(3);
    h.setPurchase('tok-trial', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      freeTrial: true,
      expiryTime: trialEnd,
      obfuscatedAccountId: gid,
    });
    const messageId = await h.notify(4, 'tok-trial');

    expect(await h.entitlement(acc)).toMatchObject({
      covered: true,
      state: 'trial',
      plan: 'unlimited',
      interval: 'month',
      provider: 'google',
      trialEndsAt: iso(trialEnd),
      manage: { kind: 'google_play', readOnly: true },
      limits: { image: 4, video: 1 },
    });
    expect(h.play.get(PACKAGE, 'tok-trial')?.acknowledgementState).toBe(
      'ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED',
    );
    expect(h.play.calls('subscriptions.acknowledge', 'tok-trial')).toHaveLength(1);
    expect(await h.inboxRow(messageId)).toMatchObject({
      event_type: 'SUBSCRIPTION_PURCHASED',
      status: 'processed',
      outcome_note: expect.stringContaining('acknowledged'),
    });

    h.advanceDays(3);
    const paidThrough = h.daysFromNow(30);
    h.setPurchase('tok-trial', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: paidThrough,
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(2, 'tok-trial');

    expect(await h.entitlement(acc)).toMatchObject({
      covered: true,
      state: 'active',
      plan: 'unlimited',
      trialEndsAt: null,
      paidThrough: iso(paidThrough),
      cancelAtPeriodEnd: false,
    });
    // Acknowledged once only.
    expect(h.play.calls('subscriptions.acknowledge', 'tok-trial')).toHaveLength(1);
    expect(await transitions(acc)).toEqual(expect.arrayContaining(['trial_started', 'converted']));
  });

  it('cancel: covered until expiryTime, restart clears it, a later cancel runs out to expired', async () => {
    const acc = 'acct-cancel';
    const gid = await h.googleIdFor(acc);
    const end = h.daysFromNow(20);
    h.setPurchase('tok-cancel', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: end,
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-cancel');

    h.advanceDays(1);
    h.setPurchase('tok-cancel', {
      state: 'SUBSCRIPTION_STATE_CANCELED',
      expiryTime: end,
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(3, 'tok-cancel');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: true,
      state: 'active',
      cancelAtPeriodEnd: true,
      paidThrough: iso(end),
    });

    h.advanceDays(1);
    h.setPurchase('tok-cancel', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: end,
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(7, 'tok-cancel');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: true,
      state: 'active',
      cancelAtPeriodEnd: false,
      paidThrough: iso(end),
    });

    h.advanceDays(1);
    h.setPurchase('tok-cancel', {
      state: 'SUBSCRIPTION_STATE_CANCELED',
      expiryTime: end,
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(3, 'tok-cancel');
    // Time decides: past expiryTime (and the leeway) it is expired even before Google says so.
    h.clock.set(new Date(end.getTime() + 2 * 3600_000));
    expect(await h.entitlement(acc)).toMatchObject({ covered: false, state: 'expired' });

    h.setPurchase('tok-cancel', {
      state: 'SUBSCRIPTION_STATE_EXPIRED',
      expiryTime: end,
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(13, 'tok-cancel');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: false,
      state: 'expired',
      reason: 'expired',
    });
    expect(await transitions(acc)).toEqual(
      expect.arrayContaining(['cancel_scheduled', 'reactivated', 'expired']),
    );
  });

  it('canceling during the free trial ends access at once', async () => {
    const acc = 'acct-trial-cancel';
    const gid = await h.googleIdFor(acc);
    const trialEnd = h.daysFromNow(3);
    h.setPurchase('tok-trial-cancel', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      freeTrial: true,
      expiryTime: trialEnd,
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-trial-cancel');
    h.setPurchase('tok-trial-cancel', {
      state: 'SUBSCRIPTION_STATE_CANCELED',
      freeTrial: true,
      expiryTime: trialEnd,
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    h.advanceDays(1);
    await h.notify(3, 'tok-trial-cancel');
    expect(await h.entitlement(acc)).toMatchObject({ covered: false, state: 'expired' });
  });

  it('grace period and account hold are past_due (not covered), then recovery', async () => {
    const acc = 'acct-grace';
    const gid = await h.googleIdFor(acc);
    h.setPurchase('tok-grace', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-grace');

    h.advanceDays(30);
    h.setPurchase('tok-grace', {
      state: 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD',
      expiryTime: h.daysFromNow(7),
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(6, 'tok-grace');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: false,
      state: 'past_due',
      reason: 'past_due',
    });

    h.advanceDays(7);
    h.setPurchase('tok-grace', {
      state: 'SUBSCRIPTION_STATE_ON_HOLD',
      expiryTime: h.clock.now(),
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(5, 'tok-grace');
    h.advanceDays(5);
    // On hold stays past_due however long it lasts: no period to run out.
    expect(await h.entitlement(acc)).toMatchObject({ covered: false, state: 'past_due' });

    const paid = h.daysFromNow(30);
    h.setPurchase('tok-grace', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: paid,
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(1, 'tok-grace');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: true,
      state: 'active',
      paidThrough: iso(paid),
    });
    expect(await transitions(acc)).toEqual(expect.arrayContaining(['payment_failed', 'recovered']));
  });

  it('pause, pause schedule change, then resume', async () => {
    const acc = 'acct-pause';
    const gid = await h.googleIdFor(acc);
    const end = h.daysFromNow(30);
    h.setPurchase('tok-pause', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: end,
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-pause');
    // The user schedules a pause: still active until the period ends.
    h.advanceDays(2);
    await h.notify(11, 'tok-pause');
    expect(await h.entitlement(acc)).toMatchObject({ covered: true, state: 'active' });

    h.clock.set(end);
    h.setPurchase('tok-pause', {
      state: 'SUBSCRIPTION_STATE_PAUSED',
      expiryTime: end,
      autoResumeTime: h.daysFromNow(30),
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(10, 'tok-pause');
    h.advanceDays(10);
    expect(await h.entitlement(acc)).toMatchObject({
      covered: false,
      state: 'paused',
      reason: 'paused',
    });

    h.advanceDays(20);
    h.setPurchase('tok-pause', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(1, 'tok-pause');
    expect(await h.entitlement(acc)).toMatchObject({ covered: true, state: 'active' });
    expect(await transitions(acc)).toEqual(expect.arrayContaining(['paused', 'resumed']));
  });

  it('upgrade through a new token: the old token is superseded and never counted again', async () => {
    const acc = 'acct-upgrade';
    const gid = await h.googleIdFor(acc);
    h.setPurchase('tok-up-1', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-up-1');

    h.advanceDays(10);
    h.setPurchase('tok-up-2', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      expiryTime: h.daysFromNow(30),
      linkedPurchaseToken: 'tok-up-1',
      obfuscatedAccountId: gid,
    });
    h.setPurchase('tok-up-1', {
      state: 'SUBSCRIPTION_STATE_EXPIRED',
      expiryTime: h.clock.now(),
      canceledBy: 'replacement',
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(4, 'tok-up-2');
    await h.notify(13, 'tok-up-1');

    const e = await h.entitlement(acc);
    expect(e).toMatchObject({
      covered: true,
      state: 'active',
      plan: 'unlimited_pro',
      limits: { image: 16, video: 4 },
      duplicateBilling: false,
    });
    expect(e.subscriptions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ storeSubscriptionId: 'tok-up-2', primary: true, excluded: null }),
        expect.objectContaining({
          storeSubscriptionId: 'tok-up-1',
          excluded: 'superseded',
          covered: false,
        }),
      ]),
    );
  });

  it('deferred downgrade: pro limits until the renewal, then the new token with linkedPurchaseToken', async () => {
    const acc = 'acct-downgrade';
    const gid = await h.googleIdFor(acc);
    const renewal = h.daysFromNow(30);
    h.setPurchase('tok-down-1', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      expiryTime: renewal,
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-down-1');

    h.advanceDays(5);
    h.setPurchase('tok-down-1', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      expiryTime: renewal,
      deferredReplacementProductId: 'unlimited',
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    // The choice arrives as a change of the items (ITEMS_CHANGED); any notification re-reads.
    await h.notify(17, 'tok-down-1');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: true,
      plan: 'unlimited_pro',
      limits: { image: 16, video: 4 },
      pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: iso(renewal) },
    });

    h.clock.set(renewal);
    h.setPurchase('tok-down-2', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited',
      expiryTime: h.daysFromNow(30),
      linkedPurchaseToken: 'tok-down-1',
      obfuscatedAccountId: gid,
    });
    h.setPurchase('tok-down-1', {
      state: 'SUBSCRIPTION_STATE_EXPIRED',
      productId: 'unlimited_pro',
      expiryTime: renewal,
      canceledBy: 'replacement',
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(4, 'tok-down-2');
    const e = await h.entitlement(acc);
    expect(e).toMatchObject({
      covered: true,
      plan: 'unlimited',
      limits: { image: 4, video: 1 },
      pendingChange: null,
    });
    expect(e.subscriptions.find((s) => s.storeSubscriptionId === 'tok-down-1')?.excluded).toBe(
      'superseded',
    );
    expect(await transitions(acc)).toContain('downgrade_scheduled');
  });

  it('expiry without renewal', async () => {
    const acc = 'acct-expiry';
    const gid = await h.googleIdFor(acc);
    const end = h.daysFromNow(30);
    h.setPurchase('tok-exp', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: end,
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-exp');
    h.clock.set(end);
    h.setPurchase('tok-exp', {
      state: 'SUBSCRIPTION_STATE_EXPIRED',
      expiryTime: end,
      canceledBy: 'system',
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(13, 'tok-exp');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: false,
      state: 'expired',
      reason: 'expired',
    });
  });

  it('revoke (RTDN 12): revoked even though subscriptionsv2 only says EXPIRED', async () => {
    const acc = 'acct-revoke';
    const gid = await h.googleIdFor(acc);
    h.setPurchase('tok-rev', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-rev');
    h.advanceDays(3);
    h.setPurchase('tok-rev', {
      state: 'SUBSCRIPTION_STATE_EXPIRED',
      expiryTime: h.clock.now(),
      canceledBy: 'developer',
      obfuscatedAccountId: gid,
      acknowledged: true,
    });
    await h.notify(12, 'tok-rev');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: false,
      state: 'revoked',
      reason: 'revoked',
    });
    // A later EXPIRED notification does not turn the revocation into a plain expiry.
    h.advanceDays(1);
    await h.notify(13, 'tok-rev');
    expect(await h.entitlement(acc)).toMatchObject({ covered: false, state: 'revoked' });
    expect(await transitions(acc)).toContain('revoked');
  });

  it('voided purchase of a subscription revokes it; of a one-time product it is ignored', async () => {
    const acc = 'acct-voided';
    const gid = await h.googleIdFor(acc);
    h.setPurchase('tok-void', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-void');
    h.advanceDays(2);

    const other = await h.deliver(h.voided('tok-void', 2));
    await h.settle();
    expect(await h.inboxRow(other)).toMatchObject({
      status: 'ignored',
      event_type: 'VOIDED_PURCHASE',
    });
    expect(await h.entitlement(acc)).toMatchObject({ covered: true, state: 'active' });

    const id = await h.deliver(h.voided('tok-void', 1));
    await h.settle();
    expect(await h.inboxRow(id)).toMatchObject({
      status: 'processed',
      event_type: 'VOIDED_PURCHASE',
    });
    expect(await h.entitlement(acc)).toMatchObject({ covered: false, state: 'revoked' });
  });

  it('pending purchase (incomplete, not acknowledged), then canceled before payment', async () => {
    const acc = 'acct-pending';
    const gid = await h.googleIdFor(acc);
    h.setPurchase('tok-pend', { state: 'SUBSCRIPTION_STATE_PENDING', obfuscatedAccountId: gid });
    await h.notify(4, 'tok-pend');
    expect(await h.entitlement(acc)).toMatchObject({
      covered: false,
      state: 'incomplete',
      reason: 'incomplete',
    });
    expect(h.play.calls('subscriptions.acknowledge', 'tok-pend')).toHaveLength(0);

    h.advanceDays(1);
    h.setPurchase('tok-pend', {
      state: 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED',
      obfuscatedAccountId: gid,
    });
    await h.notify(20, 'tok-pend');
    expect(await h.entitlement(acc)).toMatchObject({ covered: false, state: 'expired' });
  });

  it('a purchase carrying no (or an unknown) account id is kept unlinked and grants no account anything', async () => {
    h.setPurchase('tok-unlinked', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
    });
    const a = await h.notify(4, 'tok-unlinked');
    expect(await h.inboxRow(a)).toMatchObject({
      status: 'processed',
      outcome_note: expect.stringContaining('unlinked'),
    });
    h.setPurchase('tok-stranger', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
      obfuscatedAccountId: 'never-issued-id',
    });
    const b = await h.notify(4, 'tok-stranger');
    expect(await h.inboxRow(b)).toMatchObject({
      status: 'processed',
      outcome_note: expect.stringContaining('unlinked'),
    });
    // Both still acknowledged: Google refunds unacknowledged purchases.
    expect(h.play.get(PACKAGE, 'tok-unlinked')?.acknowledgementState).toBe(
      'ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED',
    );
  });

  it('a license-tester purchase (testPurchase) is listed but grants nothing without ACCEPT_SANDBOX', async () => {
    const acc = 'acct-sandbox';
    const gid = await h.googleIdFor(acc);
    h.setPurchase('tok-sandbox', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
      testPurchase: true,
      obfuscatedAccountId: gid,
    });
    await h.notify(4, 'tok-sandbox');
    const e = await h.entitlement(acc);
    expect(e.covered).toBe(false);
    expect(e.subscriptions).toEqual([
      expect.objectContaining({
        storeSubscriptionId: 'tok-sandbox',
        sandbox: true,
        excluded: 'sandbox',
      }),
    ]);
  });

  it('an unknown product is stored and reported, and grants nothing', async () => {
    const acc = 'acct-unknown-product';
    const gid = await h.googleIdFor(acc);
    h.setPurchase('tok-mystery', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'mystery_pack',
      expiryTime: h.daysFromNow(30),
      obfuscatedAccountId: gid,
    });
    const id = await h.notify(4, 'tok-mystery');
    expect(await h.inboxRow(id)).toMatchObject({
      status: 'processed',
      outcome_note: expect.stringContaining('unknown product'),
    });
    const e = await h.entitlement(acc);
    expect(e.covered).toBe(false);
    expect(e.subscriptions).toEqual([
      expect.objectContaining({ storeSubscriptionId: 'tok-mystery', excluded: 'unknown_product' }),
    ]);
  });

  it('a test notification is stored and answered, and changes nothing', async () => {
    const before = h.play.requests.length;
    const id = await h.deliver(testNotification(PACKAGE, h.clock.now()));
    await h.settle();
    expect(await h.inboxRow(id)).toMatchObject({
      status: 'ignored',
      event_type: 'TEST_NOTIFICATION',
    });
    expect(h.play.requests.length).toBe(before);
  });
});
