import {
  AppleNotificationSigner,
  buildNotificationPayload,
  buildRenewalInfo,
  buildSummaryPayload,
  buildTransaction,
  DAY_MS,
  TEST_APPLE_APP,
  type AppleEnvironmentValue,
} from '../../../test/fakes/apple/apple-notification.builder';
import { AppleTestCa } from '../../../test/fakes/apple/apple-test-ca';
import { AppException } from '../../common/errors/app.exception';
import type { AppleEnvironmentName } from '../../config/app-config';
import { AppleErrorCode } from './apple-errors';
import { AppleNotificationVerifier } from './apple-notification.verifier';

const ca = AppleTestCa.create();
const signer = new AppleNotificationSigner(ca.signer());

function verifierFor(
  overrides: Partial<{
    environments: AppleEnvironmentName[];
    bundleId: string | undefined;
    appAppleId: number | undefined;
    rootCertPaths: string[];
  }> = {},
): AppleNotificationVerifier {
  return AppleNotificationVerifier.fromConfig({
    rootCertPaths: overrides.rootCertPaths ?? [ca.writeRoot('pem')],
    bundleId: 'bundleId' in overrides ? overrides.bundleId : TEST_APPLE_APP.bundleId,
    appAppleId: 'appAppleId' in overrides ? overrides.appAppleId : TEST_APPLE_APP.appAppleId,
    environments: overrides.environments ?? ['Production'],
    onlineChecks: false,
  });
}

const production = verifierFor();

function subscription(environment: AppleEnvironmentValue = 'Production', signedDate = Date.now()) {
  const purchaseDate = signedDate - DAY_MS;
  const transaction = buildTransaction(
    {
      originalTransactionId: '2000000700000001',
      productId: 'unlimited.monthly',
      purchaseDate,
      expiresDate: purchaseDate + 30 * DAY_MS,
      signedDate,
      appAccountToken: '5b0a3a51-2d43-4f4a-9d35-8f2d3c8b7a10',
    },
    TEST_APPLE_APP,
    environment,
  );
  const renewalInfo = buildRenewalInfo(
    { originalTransactionId: '2000000700000001', productId: 'unlimited.monthly', signedDate },
    environment,
  );
  return { transaction, renewalInfo, signedDate };
}

function didRenew(
  environment: AppleEnvironmentValue = 'Production',
  notificationSigner: AppleNotificationSigner = signer,
) {
  const { transaction, renewalInfo, signedDate } = subscription(environment);
  return notificationSigner.notification({
    notificationType: 'DID_RENEW',
    signedDate,
    environment,
    status: 1,
    transaction,
    renewalInfo,
  });
}

async function refusedWith(promise: Promise<unknown>, code: AppleErrorCode, status = 400) {
  await expect(promise).rejects.toBeInstanceOf(AppException);
  await expect(promise).rejects.toMatchObject({ code, status });
}

describe('AppleNotificationVerifier: accepted notifications', () => {
  it('verifies and decodes the notification, its transaction and its renewal info', async () => {
    const sent = didRenew();
    const result = await production.verify(sent.signedPayload);
    expect(result.environment).toBe('Production');
    expect(result.notification.notificationUUID).toBe(sent.payload.notificationUUID);
    expect(result.notification.notificationType).toBe('DID_RENEW');
    expect(result.notification.data?.status).toBe(1);
    expect(result.transaction?.originalTransactionId).toBe('2000000700000001');
    expect(result.transaction?.appAccountToken).toBe('5b0a3a51-2d43-4f4a-9d35-8f2d3c8b7a10');
    expect(result.renewalInfo?.autoRenewProductId).toBe('unlimited.monthly');
  });

  it('reads a trusted root given as DER', async () => {
    const verifier = verifierFor({ rootCertPaths: [ca.writeRoot('der')] });
    await expect(verifier.verify(didRenew().signedPayload)).resolves.toMatchObject({
      environment: 'Production',
    });
  });

  it('accepts Sandbox only when listed, with a verifier bound to Sandbox', async () => {
    const both = verifierFor({ environments: ['Production', 'Sandbox'] });
    await expect(both.verify(didRenew('Sandbox').signedPayload)).resolves.toMatchObject({
      environment: 'Sandbox',
    });
    await expect(both.verify(didRenew('Production').signedPayload)).resolves.toMatchObject({
      environment: 'Production',
    });
  });

  it('accepts a notification without transaction (TEST) and a summary notification', async () => {
    const test = signer.notification({ notificationType: 'TEST', signedDate: Date.now() });
    const result = await production.verify(test.signedPayload);
    expect(result.transaction).toBeNull();
    expect(result.renewalInfo).toBeNull();
    expect(result.notification.notificationType).toBe('TEST');

    const summary = await production.verify(
      signer.sign(buildSummaryPayload({ signedDate: Date.now() })),
    );
    expect(summary.notification.notificationType).toBe('RENEWAL_EXTENSION');
    expect(summary.notification.summary?.succeededCount).toBe(1200);
    expect(summary.transaction).toBeNull();
  });
});

describe('AppleNotificationVerifier: refused notifications', () => {
  it.each([[undefined], [null], [42], [''], [{ jws: 'x' }]])(
    'refuses a missing or non-string signedPayload (%p)',
    async (value) => {
      await refusedWith(production.verify(value), AppleErrorCode.SignedPayloadMissing);
    },
  );

  it.each([
    ['not a jws'],
    ['a.b'],
    ['e30.e30'],
    ['bm90IGpzb24.bm90IGpzb24.c2ln'],
    ['W10.W10.c2ln'],
  ])('refuses a value that is not a JWS (%p)', async (value) => {
    await refusedWith(production.verify(value), AppleErrorCode.MalformedPayload);
  });

  it('refuses a tampered payload', async () => {
    const sent = didRenew();
    const [header, , signature] = sent.signedPayload.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...sent.payload, notificationType: 'REFUND_REVERSED' }),
    ).toString('base64url');
    await refusedWith(
      production.verify(`${header}.${forged}.${signature}`),
      AppleErrorCode.SignatureInvalid,
    );
  });

  it('refuses a tampered signature', async () => {
    const sent = didRenew();
    const [header, payload, signature] = sent.signedPayload.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] ^= 0xff;
    await refusedWith(
      production.verify(`${header}.${payload}.${bytes.toString('base64url')}`),
      AppleErrorCode.SignatureInvalid,
    );
  });

  it('refuses a chain that does not reach a trusted root', async () => {
    const stranger = new AppleNotificationSigner(AppleTestCa.create('Stranger').signer());
    await refusedWith(
      production.verify(didRenew('Production', stranger).signedPayload),
      AppleErrorCode.SignatureInvalid,
    );
  });

  it('refuses an intermediate without the Apple intermediate OID', async () => {
    const bad = new AppleNotificationSigner(ca.signer({ intermediateAppleOid: false }));
    await refusedWith(
      production.verify(didRenew('Production', bad).signedPayload),
      AppleErrorCode.SignatureInvalid,
    );
  });

  it('refuses a leaf without the App Store receipt-signing OID', async () => {
    const bad = new AppleNotificationSigner(ca.signer({ leafAppleOid: false }));
    await refusedWith(
      production.verify(didRenew('Production', bad).signedPayload),
      AppleErrorCode.SignatureInvalid,
    );
  });

  it('refuses an intermediate that is not a CA', async () => {
    const bad = new AppleNotificationSigner(ca.signer({ intermediateIsCa: false }));
    await refusedWith(
      production.verify(didRenew('Production', bad).signedPayload),
      AppleErrorCode.SignatureInvalid,
    );
  });

  it('refuses an expired leaf certificate', async () => {
    const now = Date.now();
    const expired = new AppleNotificationSigner(
      ca.signer({
        leafValidity: {
          notBefore: new Date(now - 400 * DAY_MS),
          notAfter: new Date(now - 30 * DAY_MS),
        },
      }),
    );
    await refusedWith(
      production.verify(didRenew('Production', expired).signedPayload),
      AppleErrorCode.CertificateInvalid,
    );
  });

  it('refuses two certificates instead of three', async () => {
    const payload = buildNotificationPayload({ notificationType: 'TEST', signedDate: Date.now() });
    const twoCerts = signer.signer.x5c().slice(0, 2);
    await refusedWith(
      production.verify(signer.sign(payload, { x5c: twoCerts })),
      AppleErrorCode.CertificateChainLength,
    );
  });

  it('refuses a JWS whose header is not ES256', async () => {
    const payload = buildNotificationPayload({ notificationType: 'TEST', signedDate: Date.now() });
    await refusedWith(
      production.verify(signer.sign(payload, { alg: 'HS256' })),
      AppleErrorCode.SignatureInvalid,
    );
  });

  it('refuses another bundle id', async () => {
    const other = new AppleNotificationSigner(signer.signer, {
      ...TEST_APPLE_APP,
      bundleId: 'com.example.other',
    });
    await refusedWith(
      production.verify(didRenew('Production', other).signedPayload),
      AppleErrorCode.AppMismatch,
    );
  });

  it('refuses another app Apple id', async () => {
    const other = new AppleNotificationSigner(signer.signer, {
      ...TEST_APPLE_APP,
      appAppleId: 999,
    });
    await refusedWith(
      production.verify(didRenew('Production', other).signedPayload),
      AppleErrorCode.AppMismatch,
    );
  });

  it('refuses a Sandbox notification when only Production is accepted', async () => {
    await refusedWith(
      production.verify(didRenew('Sandbox').signedPayload),
      AppleErrorCode.EnvironmentNotAccepted,
    );
  });

  it.each([['Xcode'], ['LocalTesting'], ['Staging']] as const)(
    'refuses the %s environment, even when Sandbox is accepted',
    async (environment) => {
      const both = verifierFor({ environments: ['Production', 'Sandbox'] });
      const payload = buildNotificationPayload({
        notificationType: 'TEST',
        signedDate: Date.now(),
        environment: environment as AppleEnvironmentValue,
      });
      await refusedWith(both.verify(signer.sign(payload)), AppleErrorCode.EnvironmentNotAccepted);
    },
  );

  it('refuses a notification that names no environment', async () => {
    const payload = {
      notificationType: 'TEST',
      notificationUUID: 'x',
      version: '2.0',
      signedDate: Date.now(),
    };
    await refusedWith(production.verify(signer.sign(payload)), AppleErrorCode.MalformedPayload);
  });

  it('refuses a notification without notificationUUID', async () => {
    const { notificationUUID: _omit, ...payload } = buildNotificationPayload({
      notificationType: 'TEST',
      signedDate: Date.now(),
    });
    await refusedWith(production.verify(signer.sign(payload)), AppleErrorCode.MalformedPayload);
  });

  it('refuses a nested transaction of another app', async () => {
    const { transaction, signedDate } = subscription();
    const payload = buildNotificationPayload({
      notificationType: 'DID_RENEW',
      signedDate,
      status: 1,
      signedTransactionInfo: signer.sign({ ...transaction, bundleId: 'com.example.other' }),
    });
    await refusedWith(production.verify(signer.sign(payload)), AppleErrorCode.AppMismatch);
  });

  it('refuses a nested transaction from another environment', async () => {
    const { transaction, signedDate } = subscription('Sandbox');
    const payload = buildNotificationPayload({
      notificationType: 'DID_RENEW',
      signedDate,
      status: 1,
      signedTransactionInfo: signer.sign(transaction),
    });
    await refusedWith(production.verify(signer.sign(payload)), AppleErrorCode.EnvironmentMismatch);
  });

  it('refuses nested renewal info signed by an untrusted chain', async () => {
    const { transaction, renewalInfo, signedDate } = subscription();
    const stranger = AppleTestCa.create('Stranger').signer();
    const payload = buildNotificationPayload({
      notificationType: 'DID_RENEW',
      signedDate,
      status: 1,
      signedTransactionInfo: signer.sign(transaction),
      signedRenewalInfo: stranger.sign(renewalInfo),
    });
    await refusedWith(production.verify(signer.sign(payload)), AppleErrorCode.SignatureInvalid);
  });
});

describe('AppleNotificationVerifier: configuration', () => {
  it('answers 503 when the bundle id is not set', async () => {
    const verifier = verifierFor({ bundleId: undefined });
    expect(verifier.configured).toBe(false);
    await refusedWith(verifier.verify(didRenew().signedPayload), AppleErrorCode.NotConfigured, 503);
  });

  it('answers 503 when Production is accepted without an app Apple id', async () => {
    const verifier = verifierFor({ appAppleId: undefined });
    expect(verifier.notConfiguredReason).toContain('APPLE_APP_APPLE_ID');
    await refusedWith(verifier.verify(didRenew().signedPayload), AppleErrorCode.NotConfigured, 503);
  });

  it('needs no app Apple id when only Sandbox is accepted (Apple omits it there)', async () => {
    const verifier = verifierFor({ appAppleId: undefined, environments: ['Sandbox'] });
    expect(verifier.configured).toBe(true);
    await expect(verifier.verify(didRenew('Sandbox').signedPayload)).resolves.toMatchObject({
      environment: 'Sandbox',
    });
  });
});
