/**
 * The three stores as the service meets them in production, for the proof suites and the bench:
 * a Stripe endpoint secret, an Apple-shaped CA whose root the service trusts, and Google's OIDC
 * signer and Play Developer API as local fakes. `env` configures the service for all three.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AppleNotificationSigner,
  TEST_APPLE_APP,
} from '../../fakes/apple/apple-notification.builder';
import { AppleTestCa } from '../../fakes/apple/apple-test-ca';
import { FakeGoogleOidcSigner } from '../../fakes/google/oidc-signer.fake';
import { FakePlayDeveloperApi } from '../../fakes/google/play-api.fake';
import { StripeApiFake } from '../../fakes/stripe/stripe-api.fake';
import { webhookSecret } from '../../fakes/stripe/stripe-events.builder';

export const GOOGLE_PACKAGE = 'com.example.creative';
export const GOOGLE_AUDIENCE = 'https://entitlements.example.com/webhooks/google';
export const GOOGLE_PUSH_ACCOUNT = 'play-rtdn-push@example-project.iam.gserviceaccount.com';
export const GOOGLE_ACCESS_TOKEN = 'ya29.fake-play-access-token';

export interface StoreRig {
  env: Record<string, string>;
  stripeSecret: string;
  stripeApi: StripeApiFake;
  apple: AppleNotificationSigner;
  googleSigner: FakeGoogleOidcSigner;
  playApi: FakePlayDeveloperApi;
  /** A valid Pub/Sub push `Authorization` header value. */
  googleAuthorization(): string;
  stop(): Promise<void>;
}

export async function startStoreRig(): Promise<StoreRig> {
  const stripeSecret = webhookSecret();
  const stripeApi = new StripeApiFake(new Date());
  await stripeApi.start();
  stripeApi.seedCatalog();
  const ca = AppleTestCa.create();
  const rootPath = ca.writeRoot('pem');
  const apple = new AppleNotificationSigner(ca.signer());
  const googleSigner = await FakeGoogleOidcSigner.start();
  const playApi = await FakePlayDeveloperApi.start({ accessToken: GOOGLE_ACCESS_TOKEN });
  // Pub/Sub reuses a token for a while; so does this (signing one per push costs the sender CPU).
  let token = { value: '', until: 0 };
  const googleAuthorization = () => {
    if (Date.now() > token.until) {
      token = {
        value: `Bearer ${googleSigner.token(GOOGLE_AUDIENCE, GOOGLE_PUSH_ACCOUNT)}`,
        until: Date.now() + 10 * 60_000,
      };
    }
    return token.value;
  };
  return {
    env: {
      STRIPE_WEBHOOK_SECRET: stripeSecret,
      STRIPE_SECRET_KEY: stripeApi.secretKey,
      STRIPE_API_URL: stripeApi.url,
      APPLE_ROOT_CERTS: rootPath,
      APPLE_BUNDLE_ID: TEST_APPLE_APP.bundleId,
      APPLE_APP_APPLE_ID: String(TEST_APPLE_APP.appAppleId),
      APPLE_ENVIRONMENTS: 'Production',
      APPLE_ONLINE_CHECKS: 'false',
      GOOGLE_PACKAGE_NAME: GOOGLE_PACKAGE,
      GOOGLE_PUBSUB_AUDIENCE: GOOGLE_AUDIENCE,
      GOOGLE_PUBSUB_SERVICE_ACCOUNT: GOOGLE_PUSH_ACCOUNT,
      GOOGLE_OIDC_CERTS_URL: googleSigner.certsUrl,
      GOOGLE_PLAY_API_URL: playApi.rootUrl,
      GOOGLE_PLAY_ACCESS_TOKEN: GOOGLE_ACCESS_TOKEN,
    },
    stripeSecret,
    stripeApi,
    apple,
    googleSigner,
    playApi,
    googleAuthorization,
    async stop() {
      await Promise.all([googleSigner.stop(), playApi.stop(), stripeApi.stop()]);
      rmSync(dirname(rootPath), { recursive: true, force: true });
    },
  };
}
