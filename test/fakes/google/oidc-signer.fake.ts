/**
 * A fake of Google's ID-token signer as Pub/Sub push uses it: RSA key pairs with a `kid`, their
 * certificates served in Google's formats on loopback (PEM map at `/oauth2/v1/certs`, JWK set at
 * `/oauth2/v3/certs`, both with `Cache-Control: max-age`), and RS256 ID tokens carrying the claims
 * of a Pub/Sub push token (iss, aud, azp, sub, email, email_verified, iat, exp).
 *
 * The service under test reads the certificates from `GOOGLE_OIDC_CERTS_URL = fake.certsUrl`.
 */
import { createHash, createSign, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificatePem } from './self-signed-certificate';

export interface PubSubTokenClaims {
  iss: string;
  aud: string;
  azp: string;
  sub: string;
  email: string;
  email_verified: boolean;
  iat: number;
  exp: number;
}

export interface IssueOptions {
  /** Sign with a key Google does not publish (kid unknown), or with another key under a published kid. */
  signWith?: 'published' | 'unpublished_kid' | 'foreign_key_same_kid';
  /** Claims to drop from the payload. */
  omit?: (keyof PubSubTokenClaims)[];
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificatePem: string;
}

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  const now = Date.now();
  const certificatePem = selfSignedCertificatePem({
    privateKey,
    publicKey,
    commonName: 'federated-signon.system.gserviceaccount.com',
    serial: randomBytes(8),
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 14 * 86_400_000),
  });
  return { kid, privateKey, publicKey, certificatePem };
}

export class FakeGoogleOidcSigner {
  /** Number of certificate downloads served (the verifier should cache per max-age). */
  certRequests = 0;
  /** Cache-Control max-age served with the certificates. */
  maxAgeSeconds: number;
  /** When set, the certificate endpoint answers this status (e.g. 503) instead. */
  failCertsWith: number | null = null;

  private keys: SigningKey[] = [newKey(), newKey()];
  private readonly foreign = newKey();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    maxAgeSeconds: number,
  ) {
    this.maxAgeSeconds = maxAgeSeconds;
  }

  static async start(options: { maxAgeSeconds?: number } = {}): Promise<FakeGoogleOidcSigner> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeGoogleOidcSigner(
      server,
      `http://127.0.0.1:${port}`,
      options.maxAgeSeconds ?? 21_600,
    );
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.handle(req, res));
    return fake;
  }

  /** The PEM certificate map URL (Google: https://www.googleapis.com/oauth2/v1/certs). */
  get certsUrl(): string {
    return `${this.baseUrl}/oauth2/v1/certs`;
  }

  get jwksUrl(): string {
    return `${this.baseUrl}/oauth2/v3/certs`;
  }

  /** The kid tokens are signed with (Google publishes the current and the next key). */
  get currentKid(): string {
    return this.keys[0].kid;
  }

  /** Starts signing with a brand-new key and publishes it; the oldest key is withdrawn. */
  rotate(): string {
    this.keys = [newKey(), this.keys[0]];
    return this.keys[0].kid;
  }

  /** Claims of a genuine Pub/Sub push token, valid for an hour from now. */
  claims(
    aud: string,
    email: string,
    overrides: Partial<PubSubTokenClaims> = {},
  ): PubSubTokenClaims {
    const iat = Math.floor(Date.now() / 1000);
    const sub =
      '1' + createHash('sha256').update(email).digest('hex').replace(/\D/g, '').slice(0, 20);
    return {
      iss: 'https://accounts.google.com',
      aud,
      azp: sub,
      sub,
      email,
      email_verified: true,
      iat,
      exp: iat + 3600,
      ...overrides,
    };
  }

  /** An RS256 ID token exactly as Pub/Sub sends it (header alg, kid, typ). */
  issue(claims: PubSubTokenClaims, options: IssueOptions = {}): string {
    const signWith = options.signWith ?? 'published';
    const key = signWith === 'published' ? this.keys[0] : this.foreign;
    const kid = signWith === 'foreign_key_same_kid' ? this.keys[0].kid : key.kid;
    const payload: Partial<PubSubTokenClaims> = { ...claims };
    for (const k of options.omit ?? []) delete payload[k];
    const header = { alg: 'RS256', kid, typ: 'JWT' };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key.privateKey);
    return `${signingInput}.${base64url(signature)}`;
  }

  /** Convenience: a valid token for this audience and service account. */
  token(
    aud: string,
    email: string,
    overrides: Partial<PubSubTokenClaims> = {},
    options: IssueOptions = {},
  ): string {
    return this.issue(this.claims(aud, email, overrides), options);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== '/oauth2/v1/certs' && path !== '/oauth2/v3/certs')) {
      res
        .writeHead(404, { 'content-type': 'text/html; charset=UTF-8' })
        .end('<html>Not Found</html>');
      return;
    }
    this.certRequests += 1;
    if (this.failCertsWith !== null) {
      res
        .writeHead(this.failCertsWith, { 'content-type': 'text/html; charset=UTF-8' })
        .end('<html>Error</html>');
      return;
    }
    const body =
      path === '/oauth2/v1/certs'
        ? Object.fromEntries(this.keys.map((k) => [k.kid, k.certificatePem]))
        : {
            keys: this.keys.map((k) => ({
              ...k.publicKey.export({ format: 'jwk' }),
              kid: k.kid,
              alg: 'RS256',
              use: 'sig',
            })),
          };
    const now = Date.now();
    res
      .writeHead(200, {
        'content-type': 'application/json; charset=UTF-8',
        'cache-control': `public, max-age=${this.maxAgeSeconds}, must-revalidate, no-transform`,
        date: new Date(now).toUTCString(),
        expires: new Date(now + this.maxAgeSeconds * 1000).toUTCString(),
      })
      .end(JSON.stringify(body, null, 2));
  }
}
