/**
 * POST /webhooks/apple configuration: each case boots its own app (one embedded database at a
 * time), configured through the environment as in production.
 */
import { AppleNotificationSigner } from '../../fakes/apple/apple-notification.builder';
import { expectError } from '../../support/http';
import { AppleHarness } from './apple-e2e.harness';

describe('POST /webhooks/apple: configuration', () => {
  it('answers 503 and stores nothing when the app identity is not configured', async () => {
    const unconfigured = await AppleHarness.start({
      env: { APPLE_BUNDLE_ID: '', APPLE_APP_APPLE_ID: '' },
    });
    try {
      const before = await unconfigured.metric('webhook_rejections_total', {
        store: 'apple',
        reason: 'apple_not_configured',
      });
      const n = new AppleNotificationSigner(unconfigured.ca.signer()).notification({
        notificationType: 'TEST',
        signedDate: Date.now(),
      });
      const res = await expectError(unconfigured.post(n.body), 503, 'apple_not_configured');
      expect((res.body as { error: { message: string } }).error.message).toContain(
        'APPLE_BUNDLE_ID',
      );
      expect(await unconfigured.storedCount()).toBe(0);
      expect(
        await unconfigured.metric('webhook_rejections_total', {
          store: 'apple',
          reason: 'apple_not_configured',
        }),
      ).toBe(before + 1);
    } finally {
      await unconfigured.close();
    }
  });

  it('accepts Sandbox when listed; a sandbox purchase never grants production access', async () => {
    const both = await AppleHarness.start({ env: { APPLE_ENVIRONMENTS: 'Production,Sandbox' } });
    try {
      const { accountId, token } = await both.account();
      const sim = both.simulator({ appAccountToken: token, environment: 'Sandbox' });
      await both.send(sim.subscribe(both.clock.now().getTime()));
      const e = await both.entitlement(accountId);
      expect(e.covered).toBe(false);
      expect(e.subscriptions).toEqual([expect.objectContaining({ store: 'apple', sandbox: true })]);
    } finally {
      await both.close();
    }
  });
});
