/**
 * The production Play Developer API client (googleapis Android Publisher) against the fake Play API
 * on loopback: Google's paths, JSON and error bodies; failures classified as retry or never.
 */
import { loadConfig } from '../../../src/config/app-config';
import {
  GooglePlayDeveloperApi,
  PlayApiError,
  PlayApiErrorKind,
} from '../../../src/stores/google/google-play-api.client';
import { FakePlayDeveloperApi, ScriptedFailure } from '../../fakes/google/play-api.fake';
import { subscriptionPurchase } from '../../fakes/google/subscription-purchase.builder';

const PKG = 'com.example.app';
const TOKEN = 'bnkldlhkkjgcmmcfmcnfjemb.AO-J1OzT3xYbJcnP2kN4A6Rh-token-1';

describe('GooglePlayDeveloperApi with the fake Play API', () => {
  let play: FakePlayDeveloperApi;
  let api: GooglePlayDeveloperApi;

  beforeAll(async () => {
    play = await FakePlayDeveloperApi.start();
    api = new GooglePlayDeveloperApi(
      loadConfig({
        GOOGLE_PLAY_API_URL: play.rootUrl,
        GOOGLE_PLAY_ACCESS_TOKEN: play.accessToken!,
      }),
      { timeoutMs: 300 },
    );
  });
  afterAll(async () => {
    await play.stop();
  });
  beforeEach(() => {
    play.clearFailures();
    play.put(
      PKG,
      TOKEN,
      subscriptionPurchase({
        state: 'SUBSCRIPTION_STATE_ACTIVE',
        expiryTime: '2026-03-01T00:00:00.000Z',
        obfuscatedAccountId: 'g_123',
      }),
    );
  });

  async function failure(
    promise: Promise<unknown>,
  ): Promise<{ kind: PlayApiErrorKind; retryable: boolean }> {
    try {
      await promise;
    } catch (e) {
      if (e instanceof PlayApiError) return { kind: e.kind, retryable: e.retryable };
      throw e;
    }
    throw new Error('expected a failure');
  }

  it('reads subscriptionsv2 on Google’s path with the bearer token', async () => {
    const before = play.requests.length;
    const purchase = await api.getSubscription(PKG, TOKEN);
    expect(purchase).toMatchObject({
      kind: 'androidpublisher#subscriptionPurchaseV2',
      subscriptionState: 'SUBSCRIPTION_STATE_ACTIVE',
      externalAccountIdentifiers: { obfuscatedExternalAccountId: 'g_123' },
      lineItems: [{ productId: 'unlimited', expiryTime: '2026-03-01T00:00:00.000Z' }],
    });
    const [req] = play.requests.slice(before);
    expect(req).toMatchObject({
      call: 'subscriptionsv2.get',
      method: 'GET',
      path: `/androidpublisher/v3/applications/${PKG}/purchases/subscriptionsv2/tokens/${TOKEN}`,
      authorization: `Bearer ${play.accessToken}`,
      status: 200,
    });
  });

  it('acknowledges on Google’s path and the fake records it', async () => {
    await api.acknowledgeSubscription(PKG, 'unlimited', TOKEN);
    expect(play.get(PKG, TOKEN)?.acknowledgementState).toBe('ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED');
    const last = play.calls('subscriptions.acknowledge', TOKEN).at(-1);
    expect(last).toMatchObject({
      method: 'POST',
      path: `/androidpublisher/v3/applications/${PKG}/purchases/subscriptions/unlimited/tokens/${TOKEN}:acknowledge`,
      subscriptionId: 'unlimited',
      status: 200,
    });
  });

  it('refuses to acknowledge a product the token does not hold', async () => {
    expect(await failure(api.acknowledgeSubscription(PKG, 'unlimited_pro', TOKEN))).toEqual({
      kind: 'invalid',
      retryable: false,
    });
  });

  it('reports an unknown token as not found, never retried', async () => {
    expect(await failure(api.getSubscription(PKG, 'no-such-token'))).toEqual({
      kind: 'not_found',
      retryable: false,
    });
  });

  const scripted: [ScriptedFailure['status'], PlayApiErrorKind, boolean][] = [
    [500, 'unavailable', true],
    [502, 'unavailable', true],
    [503, 'unavailable', true],
    [429, 'rate_limited', true],
    [401, 'unauthorized', true],
    [403, 'unauthorized', true],
    [404, 'not_found', false],
    [410, 'gone', false],
    [400, 'invalid', false],
    ['hang', 'timeout', true],
  ];

  it.each(scripted)(
    'classifies a scripted %s as %s (retryable %s), without retrying inside the client',
    async (status, kind, retryable) => {
      play.fail({ call: 'subscriptionsv2.get', token: TOKEN, status });
      const before = play.calls('subscriptionsv2.get', TOKEN).length;
      expect(await failure(api.getSubscription(PKG, TOKEN))).toEqual({ kind, retryable });
      expect(play.calls('subscriptionsv2.get', TOKEN).length - before).toBe(1);
      // The failure was consumed: the next read succeeds.
      expect((await api.getSubscription(PKG, TOKEN)).subscriptionState).toBe(
        'SUBSCRIPTION_STATE_ACTIVE',
      );
    },
  );

  it('answers Google-style error bodies', async () => {
    play.fail({ status: 410 });
    const res = await fetch(
      `${play.rootUrl}/androidpublisher/v3/applications/${PKG}/purchases/subscriptionsv2/tokens/${TOKEN}`,
      {
        headers: { authorization: `Bearer ${play.accessToken}` },
      },
    );
    expect(res.status).toBe(410);
    expect(await res.json()).toEqual({
      error: {
        code: 410,
        message: expect.stringContaining('no longer available'),
        errors: [
          {
            message: expect.any(String),
            domain: 'androidpublisher',
            reason: 'subscriptionPurchaseNoLongerAvailable',
          },
        ],
        status: 'NOT_FOUND',
      },
    });
  });

  it('is refused by the fake with a wrong bearer token', async () => {
    const stranger = new GooglePlayDeveloperApi(
      loadConfig({ GOOGLE_PLAY_API_URL: play.rootUrl, GOOGLE_PLAY_ACCESS_TOKEN: 'ya29.wrong' }),
    );
    expect(await failure(stranger.getSubscription(PKG, TOKEN))).toEqual({
      kind: 'unauthorized',
      retryable: true,
    });
    expect(play.requests.at(-1)).toMatchObject({ status: 401, authorization: 'Bearer ya29.wrong' });
  });

  it('reports a network failure as retryable', async () => {
    const nowhere = new GooglePlayDeveloperApi(
      loadConfig({ GOOGLE_PLAY_API_URL: 'http://127.0.0.1:9', GOOGLE_PLAY_ACCESS_TOKEN: 'x' }),
    );
    expect(await failure(nowhere.getSubscription(PKG, TOKEN))).toEqual({
      kind: 'network',
      retryable: true,
    });
  });
});
