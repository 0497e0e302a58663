/**
 * POST /webhooks/google over HTTP: Pub/Sub push authentication (the production verifier against
 * the fake Google signer), storage and deduplication, and what happens to bad input.
 *
 * Policy: a request that is not an authenticated Pub/Sub push is refused with a 4xx in the error
 * envelope, counted in `webhook_rejections_total{store="google",reason}`, and nothing is stored.
 * A verified message whose *content* is unusable (data not base64 JSON, another package) is stored
 * and answered 200, then failed in the inbox with its reason (`store_events_unprocessable_total`):
 * Pub/Sub redelivers every non-2xx answer until the message expires, which would only repeat it.
 */
import { createTestApp } from '../../support/test-app';
import { expectError } from '../../support/http';
import { waitFor } from '../../support/wait';
import { GoogleErrorCode, GoogleInboxFailure } from '../../../src/stores/google/google-errors';
import {
  pubsubPush,
  subscriptionNotification,
} from '../../fakes/google/subscription-purchase.builder';
import { AUDIENCE, GoogleHarness, PACKAGE, PUSHER } from './google-e2e.harness';
import request from 'supertest';
import { DataSource } from 'typeorm';

describe('POST /webhooks/google (e2e)', () => {
  let h: GoogleHarness;

  beforeAll(async () => {
    h = await GoogleHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  function validBody(messageId = h.nextMessageId()) {
    return pubsubPush(messageId, h.subscriptionEvent(4, 'tok-webhook'), h.clock.now());
  }

  it('stores a verified push once and acknowledges every delivery with 200', async () => {
    h.setPurchase('tok-webhook', {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      expiryTime: h.daysFromNow(30),
    });
    const before = await h.inboxCount();
    const body = validBody();
    const first = await h.push(body);
    expect({ status: first.status, body: first.body }).toEqual({
      status: 200,
      body: { received: true, duplicate: false },
    });
    const again = await h.push(body);
    expect({ status: again.status, body: again.body }).toEqual({
      status: 200,
      body: { received: true, duplicate: true },
    });
    expect(await h.inboxCount()).toBe(before + 1);
    expect(await h.inboxRow(body.message.messageId)).toMatchObject({
      event_type: 'SUBSCRIPTION_PURCHASED',
    });
  });

  it('accepts an envelope with only message_id / publish_time and extra fields Pub/Sub may add', async () => {
    const messageId = h.nextMessageId();
    const data = Buffer.from(JSON.stringify(h.subscriptionEvent(2, 'tok-webhook'))).toString(
      'base64',
    );
    const res = await h.push({
      message: { data, message_id: messageId, publish_time: new Date().toISOString() },
      subscription: 'projects/p/subscriptions/s',
      deliveryAttempt: 3,
    });
    expect(res.status).toBe(200);
    expect(await h.inboxRow(messageId)).toMatchObject({ event_type: 'SUBSCRIPTION_RENEWED' });
  });

  const now = () => Math.floor(Date.now() / 1000);
  const refusals: [string, () => string | null, () => unknown, number, GoogleErrorCode][] = [
    ['no Authorization header', () => null, () => validBody(), 401, GoogleErrorCode.TokenMissing],
    [
      'a token signed by another key',
      () => `Bearer ${h.signer.token(AUDIENCE, PUSHER, {}, { signWith: 'foreign_key_same_kid' })}`,
      () => validBody(),
      401,
      GoogleErrorCode.TokenInvalid,
    ],
    [
      'a token from a key Google does not publish',
      () => `Bearer ${h.signer.token(AUDIENCE, PUSHER, {}, { signWith: 'unpublished_kid' })}`,
      () => validBody(),
      401,
      GoogleErrorCode.TokenInvalid,
    ],
    [
      'a token for another audience',
      () => `Bearer ${h.signer.token('https://elsewhere.example.com/push', PUSHER)}`,
      () => validBody(),
      403,
      GoogleErrorCode.WrongAudience,
    ],
    [
      'a token of another service account',
      () => `Bearer ${h.signer.token(AUDIENCE, 'intruder@evil-project.iam.gserviceaccount.com')}`,
      () => validBody(),
      403,
      GoogleErrorCode.WrongServiceAccount,
    ],
    [
      'an expired token',
      () => `Bearer ${h.signer.token(AUDIENCE, PUSHER, { iat: now() - 7200, exp: now() - 3600 })}`,
      () => validBody(),
      401,
      GoogleErrorCode.TokenExpired,
    ],
    [
      'another issuer',
      () => `Bearer ${h.signer.token(AUDIENCE, PUSHER, { iss: 'https://issuer.example.com' })}`,
      () => validBody(),
      401,
      GoogleErrorCode.WrongIssuer,
    ],
    [
      'a malformed envelope (no message)',
      () => `Bearer ${h.token()}`,
      () => ({ subscription: 'projects/p/subscriptions/s' }),
      400,
      GoogleErrorCode.InvalidEnvelope,
    ],
    [
      'a malformed envelope (no messageId)',
      () => `Bearer ${h.token()}`,
      () => ({ message: { data: 'e30=' } }),
      400,
      GoogleErrorCode.InvalidEnvelope,
    ],
    [
      'a malformed envelope (data not a string)',
      () => `Bearer ${h.token()}`,
      () => ({ message: { messageId: '1', data: { a: 1 } } }),
      400,
      GoogleErrorCode.InvalidEnvelope,
    ],
  ];

  it.each(refusals)(
    'refuses %s, counts it and stores nothing',
    async (_label, auth, body, status, code) => {
      const before = await h.inboxCount();
      const counted = await h.metric('webhook_rejections_total', { store: 'google', reason: code });
      await expectError(h.push(body(), auth()), status, code);
      expect(await h.inboxCount()).toBe(before);
      expect(await h.metric('webhook_rejections_total', { store: 'google', reason: code })).toBe(
        counted + 1,
      );
    },
  );

  it('refuses a body that is not JSON with a 4xx, counts it and stores nothing', async () => {
    const before = await h.inboxCount();
    const counted = await h.metric('webhook_rejections_total', {
      store: 'google',
      reason: 'payload_not_json',
    });
    const res = await h.http
      .post('/webhooks/google')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${h.token()}`)
      .send('{"message": ');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(await h.inboxCount()).toBe(before);
    expect(
      await h.metric('webhook_rejections_total', { store: 'google', reason: 'payload_not_json' }),
    ).toBe(counted + 1);
  });

  async function failedFor(messageId: string) {
    await waitFor(
      async () => {
        await h.drainOnce();
        return (await h.inboxRow(messageId))?.status === 'failed';
      },
      { what: `message ${messageId} to fail` },
    );
    return h.inboxRow(messageId);
  }

  it('stores a verified message whose data is not base64 JSON, answers 200, and fails it with its reason', async () => {
    const reason = GoogleInboxFailure.DataNotBase64Json;
    const counted = await h.metric('store_events_unprocessable_total', { store: 'google', reason });
    const messageId = h.nextMessageId();
    const res = await h.push({
      message: {
        data: '!!! definitely not base64 !!!',
        messageId,
        publishTime: new Date().toISOString(),
      },
      subscription: 'projects/p/subscriptions/s',
    });
    expect(res.status).toBe(200);
    expect(await failedFor(messageId)).toMatchObject({
      event_type: 'UNDECODABLE',
      status: 'failed',
      attempts: 1,
      last_error: expect.stringContaining(reason),
    });
    expect(await h.metric('store_events_unprocessable_total', { store: 'google', reason })).toBe(
      counted + 1,
    );
  });

  it('stores a verified message for another package, answers 200, fails it and never calls Google', async () => {
    const reason = GoogleInboxFailure.WrongPackage;
    const before = h.play.requests.length;
    const messageId = h.nextMessageId();
    const res = await h.push(
      pubsubPush(
        messageId,
        subscriptionNotification('com.other.app', 4, 'tok-webhook', h.clock.now()),
      ),
    );
    expect(res.status).toBe(200);
    expect(await failedFor(messageId)).toMatchObject({
      status: 'failed',
      last_error: expect.stringContaining(reason),
    });
    expect(h.play.requests.length).toBe(before);
  });
});

describe('POST /webhooks/google without configuration (e2e)', () => {
  it('answers 503 google_not_configured and stores nothing while GOOGLE_PACKAGE_NAME is unset', async () => {
    const t = await createTestApp();
    try {
      const res = await expectError(
        request(t.server)
          .post('/webhooks/google')
          .set('content-type', 'application/json')
          .send(
            pubsubPush('unconfigured-1', subscriptionNotification(PACKAGE, 4, 't', new Date())),
          ),
        503,
        GoogleErrorCode.NotConfigured,
      );
      expect(res.body.error.message).toContain('GOOGLE_PACKAGE_NAME');
      const rows: Array<{ n: string }> = await t.app
        .get(DataSource)
        .query(
          `SELECT count(*) AS n FROM inbox_events WHERE store = 'google' AND store_event_id = $1`,
          ['unconfigured-1'],
        );
      expect(Number(rows[0].n)).toBe(0);
    } finally {
      await t.close();
    }
  });
});
