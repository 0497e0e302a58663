/**
 * The production verifier (google-auth-library) against the fake Google signer on loopback:
 * certificates fetched from GOOGLE_OIDC_CERTS_URL, cached per Cache-Control, every rejection named.
 */
import { X509Certificate } from 'node:crypto';
import { AppException } from '../../../src/common/errors/app.exception';
import { loadConfig } from '../../../src/config/app-config';
import { GoogleErrorCode } from '../../../src/stores/google/google-errors';
import { PubSubTokenVerifier } from '../../../src/stores/google/google-oidc.verifier';
import { FakeGoogleOidcSigner } from '../../fakes/google/oidc-signer.fake';

const AUDIENCE = 'https://entitlements.example.com/webhooks/google';
const PUSHER = 'play-rtdn-push@example-project.iam.gserviceaccount.com';

describe('PubSubTokenVerifier with the fake Google signer', () => {
  let signer: FakeGoogleOidcSigner;

  beforeAll(async () => {
    signer = await FakeGoogleOidcSigner.start({ maxAgeSeconds: 3600 });
  });
  afterAll(async () => {
    await signer.stop();
  });

  function verifier(env: Record<string, string> = {}): PubSubTokenVerifier {
    return new PubSubTokenVerifier(
      loadConfig({
        GOOGLE_PACKAGE_NAME: 'com.example.app',
        GOOGLE_PUBSUB_AUDIENCE: AUDIENCE,
        GOOGLE_PUBSUB_SERVICE_ACCOUNT: PUSHER,
        GOOGLE_OIDC_CERTS_URL: signer.certsUrl,
        ...env,
      }),
    );
  }

  async function rejection(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
    try {
      await promise;
    } catch (e) {
      if (e instanceof AppException) return { code: e.code, status: e.status };
      throw e;
    }
    throw new Error('expected a rejection');
  }

  it('serves real X.509 certificates keyed by kid', async () => {
    const res = await fetch(signer.certsUrl);
    expect(res.headers.get('cache-control')).toMatch(/max-age=3600/);
    const certs = (await res.json()) as Record<string, string>;
    expect(Object.keys(certs)).toContain(signer.currentKid);
    const cert = new X509Certificate(certs[signer.currentKid]);
    expect(cert.subject).toBe('CN=federated-signon.system.gserviceaccount.com');
  });

  it('accepts a genuine push token and returns the signer', async () => {
    const identity = await verifier().verify(`Bearer ${signer.token(AUDIENCE, PUSHER)}`);
    expect(identity.email).toBe(PUSHER);
    expect(identity.expiresAt.getTime()).toBeGreaterThan(identity.issuedAt.getTime());
  });

  it('accepts both issuer spellings Google uses', async () => {
    const v = verifier();
    for (const iss of ['accounts.google.com', 'https://accounts.google.com']) {
      const identity = await v.verify(`Bearer ${signer.token(AUDIENCE, PUSHER, { iss })}`);
      expect(identity.email).toBe(PUSHER);
    }
  });

  it('downloads the certificates once while their max-age holds', async () => {
    const v = verifier();
    const before = signer.certRequests;
    for (let i = 0; i < 3; i++) await v.verify(`Bearer ${signer.token(AUDIENCE, PUSHER)}`);
    expect(signer.certRequests - before).toBe(1);
  });

  it('downloads them again when max-age is 0', async () => {
    signer.maxAgeSeconds = 0;
    try {
      const v = verifier();
      const before = signer.certRequests;
      await v.verify(`Bearer ${signer.token(AUDIENCE, PUSHER)}`);
      await v.verify(`Bearer ${signer.token(AUDIENCE, PUSHER)}`);
      expect(signer.certRequests - before).toBe(2);
    } finally {
      signer.maxAgeSeconds = 3600;
    }
  });

  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => string | undefined, GoogleErrorCode, number][] = [
    ['no Authorization header', () => undefined, GoogleErrorCode.TokenMissing, 401],
    ['a Basic header', () => 'Basic dXNlcjpwYXNz', GoogleErrorCode.TokenMissing, 401],
    ['a token that is not a JWT', () => 'Bearer not-a-jwt', GoogleErrorCode.TokenInvalid, 401],
    [
      'a token signed by another key under a published kid',
      () => `Bearer ${signer.token(AUDIENCE, PUSHER, {}, { signWith: 'foreign_key_same_kid' })}`,
      GoogleErrorCode.TokenInvalid,
      401,
    ],
    [
      'a token signed by a key Google does not publish',
      () => `Bearer ${signer.token(AUDIENCE, PUSHER, {}, { signWith: 'unpublished_kid' })}`,
      GoogleErrorCode.TokenInvalid,
      401,
    ],
    [
      'an expired token (past the 5-minute skew)',
      () => `Bearer ${signer.token(AUDIENCE, PUSHER, { iat: now() - 7200, exp: now() - 3600 })}`,
      GoogleErrorCode.TokenExpired,
      401,
    ],
    [
      'a token without exp',
      () => `Bearer ${signer.token(AUDIENCE, PUSHER, {}, { omit: ['exp'] })}`,
      GoogleErrorCode.TokenInvalid,
      401,
    ],
    [
      'another issuer',
      () => `Bearer ${signer.token(AUDIENCE, PUSHER, { iss: 'https://evil.example.com' })}`,
      GoogleErrorCode.WrongIssuer,
      401,
    ],
    [
      'another audience',
      () => `Bearer ${signer.token('https://other.example.com/push', PUSHER)}`,
      GoogleErrorCode.WrongAudience,
      403,
    ],
    [
      'another service account',
      () => `Bearer ${signer.token(AUDIENCE, 'someone@example-project.iam.gserviceaccount.com')}`,
      GoogleErrorCode.WrongServiceAccount,
      403,
    ],
    [
      'an unverified email',
      () => `Bearer ${signer.token(AUDIENCE, PUSHER, { email_verified: false })}`,
      GoogleErrorCode.WrongServiceAccount,
      403,
    ],
    [
      'no email claim',
      () => `Bearer ${signer.token(AUDIENCE, PUSHER, {}, { omit: ['email'] })}`,
      GoogleErrorCode.WrongServiceAccount,
      403,
    ],
  ];

  it.each(cases)('refuses %s', async (_label, header, code, status) => {
    expect(await rejection(verifier().verify(header()))).toEqual({ code, status });
  });

  it('answers 503 when the audience or service account is not configured', async () => {
    const token = `Bearer ${signer.token(AUDIENCE, PUSHER)}`;
    expect(await rejection(verifier({ GOOGLE_PUBSUB_AUDIENCE: '' }).verify(token))).toEqual({
      code: GoogleErrorCode.NotConfigured,
      status: 503,
    });
    expect(await rejection(verifier({ GOOGLE_PUBSUB_SERVICE_ACCOUNT: '' }).verify(token))).toEqual({
      code: GoogleErrorCode.NotConfigured,
      status: 503,
    });
  });

  it('answers 503 when the certificates cannot be read', async () => {
    signer.failCertsWith = 404;
    try {
      const token = `Bearer ${signer.token(AUDIENCE, PUSHER)}`;
      expect(await rejection(verifier().verify(token))).toEqual({
        code: GoogleErrorCode.CertificatesUnavailable,
        status: 503,
      });
    } finally {
      signer.failCertsWith = null;
    }
  });

  it('follows a key rotation once the cached certificates expire', async () => {
    signer.maxAgeSeconds = 0;
    try {
      const v = verifier();
      await v.verify(`Bearer ${signer.token(AUDIENCE, PUSHER)}`);
      signer.rotate();
      const identity = await v.verify(`Bearer ${signer.token(AUDIENCE, PUSHER)}`);
      expect(identity.email).toBe(PUSHER);
    } finally {
      signer.maxAgeSeconds = 3600;
    }
  });
});
