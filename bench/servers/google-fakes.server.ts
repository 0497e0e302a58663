/**
 * Google's side for the webhook case, in a process of its own (so its CPU is not the load
 * generator's): the OIDC signer whose certificates the service reads, and the Play Developer API
 * fake answering `subscriptionsv2.get` for the purchases the pushes name. Prints one JSON line with
 * the URLs and a push token (valid an hour), then serves until SIGTERM.
 */
import { FakeGoogleOidcSigner } from '../../test/fakes/google/oidc-signer.fake';
import { FakePlayDeveloperApi } from '../../test/fakes/google/play-api.fake';
import { subscriptionPurchase } from '../../test/fakes/google/subscription-purchase.builder';
import {
  GOOGLE_ACCESS_TOKEN,
  GOOGLE_AUDIENCE,
  GOOGLE_PACKAGE,
  GOOGLE_PUSH_ACCOUNT,
} from '../../test/proof/support/store-rig';

async function main(): Promise<void> {
  const purchases = Number(process.env.GOOGLE_PURCHASES ?? 2000);
  const signer = await FakeGoogleOidcSigner.start();
  const play = await FakePlayDeveloperApi.start({ accessToken: GOOGLE_ACCESS_TOKEN });
  const now = Date.now();
  for (let i = 0; i < purchases; i++) {
    play.put(
      GOOGLE_PACKAGE,
      `bench-gp-${i}`,
      subscriptionPurchase({
        state: 'SUBSCRIPTION_STATE_ACTIVE',
        productId: i % 3 === 0 ? 'unlimited_pro' : 'unlimited',
        startTime: new Date(now - 10 * 86_400_000),
        expiryTime: new Date(now + 20 * 86_400_000),
        acknowledged: true,
      }),
    );
  }
  // The fake keeps every request for assertions; a benchmark makes too many to keep.
  setInterval(() => play.requests.splice(0), 1000).unref();
  process.stdout.write(
    `${JSON.stringify({
      certsUrl: signer.certsUrl,
      playApiUrl: play.rootUrl,
      authorization: `Bearer ${signer.token(GOOGLE_AUDIENCE, GOOGLE_PUSH_ACCOUNT)}`,
      purchases,
    })}\n`,
  );
  process.on('SIGTERM', () => {
    void Promise.all([signer.stop(), play.stop()]).then(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
