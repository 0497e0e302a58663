/**
 * POST /webhooks/apple over HTTP: what is accepted, and every way a notification is refused
 * (4xx in the error envelope, counted, nothing stored). The service trusts a CA generated for
 * the run through APPLE_ROOT_CERTS, the same code path as the bundled Apple root in production.
 */
import {
  AppleNotificationSigner,
  buildNotificationPayload,
  buildSummaryPayload,
  DAY_MS,
  TEST_APPLE_APP,
  type AppleEnvironmentValue,
  type SignedNotification,
} from '../../fakes/apple/apple-notification.builder';
import { AppleSubscriptionSimulator } from '../../fakes/apple/apple-subscription.simulator';
import { AppleTestCa } from '../../fakes/apple/apple-test-ca';
import { expectError } from '../../support/http';
import { AppleHarness } from './apple-e2e.harness';

let h: AppleHarness;

beforeAll(async () => {
  h = await AppleHarness.start();
});

afterAll(async () => {
  await h?.close();
});

function renewal(
  signer: AppleNotificationSigner = h.signer,
  environment: AppleEnvironmentValue = 'Production',
): SignedNotification {
  return new AppleSubscriptionSimulator(signer, { environment }).subscribe(h.clock.now().getTime());
}

const rejections = (reason: string) =>
  h.metric('webhook_rejections_total', { store: 'apple', reason });

async function refused(body: unknown, status: number, code: string): Promise<void> {
  const storedBefore = await h.storedCount();
  const countedBefore = await rejections(code);
  await expectError(h.post(body), status, code);
  expect(await rejections(code)).toBe(countedBefore + 1);
  expect(await h.storedCount()).toBe(storedBefore);
}

describe('POST /webhooks/apple: accepted', () => {
  it('stores a verified notification once and acknowledges every delivery', async () => {
    const n = renewal();
    const first = await h.post(n.body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true, duplicate: false });
    const again = await h.post(n.body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true, duplicate: true });

    const rows = (await h.inboxRows()).filter(
      (r) => r.store_event_id === n.payload.notificationUUID,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].event_type).toBe('SUBSCRIBED/INITIAL_BUY');
    await h.settle();
    expect(await h.inboxRow(n.payload.notificationUUID!)).toMatchObject({ status: 'processed' });
  });

  it('stores a summary notification and records it as ignored', async () => {
    const n = h.signer.signed(buildSummaryPayload({ signedDate: h.clock.now().getTime() }));
    const res = await h.post(n.body);
    expect(res.status).toBe(200);
    await h.settle();
    expect(await h.inboxRow(n.payload.notificationUUID!)).toMatchObject({
      status: 'ignored',
      event_type: 'RENEWAL_EXTENSION/SUMMARY',
    });
  });

  it('needs no API key (the signature is the proof)', async () => {
    const res = await h.post(renewal().body);
    expect(res.status).toBe(200);
  });
});

describe('POST /webhooks/apple: refused, counted, nothing stored', () => {
  it.each([
    ['no signedPayload', {}],
    ['a null signedPayload', { signedPayload: null }],
    ['a number', { signedPayload: 42 }],
    ['an object', { signedPayload: { alg: 'ES256' } }],
    ['an empty string', { signedPayload: '' }],
  ])('refuses %s', async (_name, body) => {
    await refused(body, 400, 'apple_signed_payload_missing');
  });

  it('refuses a value that is not a JWS', async () => {
    await refused({ signedPayload: 'hello apple' }, 400, 'apple_malformed_payload');
    await refused({ signedPayload: 'aGVsbG8.d29ybGQ.c2ln' }, 400, 'apple_malformed_payload');
  });

  it('refuses a tampered payload', async () => {
    const n = renewal();
    const [header, , signature] = n.signedPayload.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...n.payload, notificationType: 'REFUND_REVERSED' }),
    ).toString('base64url');
    await refused(
      { signedPayload: `${header}.${forged}.${signature}` },
      400,
      'apple_signature_invalid',
    );
  });

  it('refuses a tampered signature', async () => {
    const [header, payload, signature] = renewal().signedPayload.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] ^= 0x01;
    await refused(
      { signedPayload: `${header}.${payload}.${bytes.toString('base64url')}` },
      400,
      'apple_signature_invalid',
    );
  });

  it('refuses a chain that does not reach a trusted root', async () => {
    const stranger = new AppleNotificationSigner(AppleTestCa.create('Stranger').signer());
    await refused(renewal(stranger).body, 400, 'apple_signature_invalid');
  });

  it('refuses an intermediate without Apple’s OID', async () => {
    await refused(
      renewal(new AppleNotificationSigner(h.ca.signer({ intermediateAppleOid: false }))).body,
      400,
      'apple_signature_invalid',
    );
  });

  it('refuses a leaf without Apple’s OID', async () => {
    await refused(
      renewal(new AppleNotificationSigner(h.ca.signer({ leafAppleOid: false }))).body,
      400,
      'apple_signature_invalid',
    );
  });

  it('refuses an expired certificate', async () => {
    const now = Date.now();
    const expired = h.ca.signer({
      leafValidity: {
        notBefore: new Date(now - 400 * DAY_MS),
        notAfter: new Date(now - 10 * DAY_MS),
      },
    });
    await refused(
      renewal(new AppleNotificationSigner(expired)).body,
      400,
      'apple_certificate_invalid',
    );
  });

  it('refuses two certificates instead of three', async () => {
    const payload = buildNotificationPayload({
      notificationType: 'TEST',
      signedDate: h.clock.now().getTime(),
    });
    const signedPayload = h.signer.sign(payload, { x5c: h.signer.signer.x5c().slice(0, 2) });
    await refused({ signedPayload }, 400, 'apple_certificate_chain_length');
  });

  it('refuses a wrong bundle id', async () => {
    const other = new AppleNotificationSigner(h.signer.signer, {
      ...TEST_APPLE_APP,
      bundleId: 'com.example.elsewhere',
    });
    await refused(renewal(other).body, 400, 'apple_app_mismatch');
  });

  it('refuses a wrong app Apple id', async () => {
    const other = new AppleNotificationSigner(h.signer.signer, {
      ...TEST_APPLE_APP,
      appAppleId: 1,
    });
    await refused(renewal(other).body, 400, 'apple_app_mismatch');
  });

  it('refuses a Sandbox notification when only Production is accepted', async () => {
    await refused(renewal(h.signer, 'Sandbox').body, 400, 'apple_environment_not_accepted');
  });

  it.each([['Xcode'], ['LocalTesting']] as const)(
    'refuses the %s environment',
    async (environment) => {
      const payload = buildNotificationPayload({
        notificationType: 'TEST',
        signedDate: h.clock.now().getTime(),
        environment,
      });
      await refused(h.signer.signed(payload).body, 400, 'apple_environment_not_accepted');
    },
  );
});
