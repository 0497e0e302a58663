import { Inject, Injectable } from '@nestjs/common';
import { OAuth2Client } from 'google-auth-library';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { AppException } from '../../common/errors/app.exception';
import { GoogleErrorCode, googleError } from './google-errors';

/** Google's PEM certificate map for ID tokens (the v1 format, keyed by `kid`). */
export const GOOGLE_OIDC_CERTS_URL = 'https://www.googleapis.com/oauth2/v1/certs';
/** The issuers Google puts in the ID tokens of Pub/Sub push subscriptions. */
export const GOOGLE_OIDC_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];
/** Longer than any real header; refuses absurd input before any parsing. */
const MAX_TOKEN_LENGTH = 8192;

export interface PubSubPushIdentity {
  email: string;
  subject: string;
  issuedAt: Date;
  expiresAt: Date;
}

/**
 * Authenticates a Pub/Sub push: the `Authorization: Bearer` ID token is checked with
 * google-auth-library (signature against Google's certificates, which the client caches as long
 * as their Cache-Control max-age says; iat/exp with Google's 5-minute skew; issuer; audience),
 * then the signer must be the configured push service account with a verified email.
 */
@Injectable()
export class PubSubTokenVerifier {
  private readonly client: OAuth2Client;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.client = new OAuth2Client({
      endpoints: {
        oauth2FederatedSignonPemCertsUrl: config.google.oidcCertsUrl ?? GOOGLE_OIDC_CERTS_URL,
      },
      issuers: GOOGLE_OIDC_ISSUERS,
      transporterOptions: { timeout: 10_000 },
    });
  }

  /** Throws an AppException (401/403/503) with a GoogleErrorCode when the push is not authentic. */
  async verify(authorization: string | undefined): Promise<PubSubPushIdentity> {
    const { pubsubAudience, pubsubServiceAccount } = this.config.google;
    if (!pubsubAudience || !pubsubServiceAccount) throw googleError(GoogleErrorCode.NotConfigured);

    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw googleError(GoogleErrorCode.TokenMissing);
    const idToken = match[1];
    if (idToken.length > MAX_TOKEN_LENGTH) throw googleError(GoogleErrorCode.TokenInvalid);

    let payload;
    try {
      const ticket = await this.client.verifyIdToken({ idToken, audience: pubsubAudience });
      payload = ticket.getPayload();
    } catch (err) {
      throw classifyVerificationError(err);
    }
    if (!payload) throw googleError(GoogleErrorCode.TokenInvalid);
    if (
      typeof payload.email !== 'string' ||
      payload.email.toLowerCase() !== pubsubServiceAccount.toLowerCase() ||
      payload.email_verified !== true
    ) {
      throw googleError(GoogleErrorCode.WrongServiceAccount);
    }
    return {
      email: payload.email,
      subject: payload.sub,
      issuedAt: new Date(payload.iat * 1000),
      expiresAt: new Date(payload.exp * 1000),
    };
  }
}

/**
 * google-auth-library reports every failure as a plain Error; its messages (stable across v7–v10)
 * tell the reasons apart. They embed the token, so they are never echoed or logged.
 */
export function classifyVerificationError(err: unknown): AppException {
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('Failed to retrieve verification certificates')) {
    return googleError(GoogleErrorCode.CertificatesUnavailable);
  }
  if (message.startsWith('Token used too late')) return googleError(GoogleErrorCode.TokenExpired);
  if (message.startsWith('Invalid issuer')) return googleError(GoogleErrorCode.WrongIssuer);
  if (message.startsWith('Wrong recipient')) return googleError(GoogleErrorCode.WrongAudience);
  return googleError(GoogleErrorCode.TokenInvalid);
}
