import { errorFactory } from '../../common/errors/app.exception';

/** Error codes of the Google Play webhook (`POST /webhooks/google`). */
export enum GoogleErrorCode {
  NotConfigured = 'google_not_configured',
  TokenMissing = 'google_token_missing',
  TokenInvalid = 'google_token_invalid',
  TokenExpired = 'google_token_expired',
  WrongIssuer = 'google_token_wrong_issuer',
  WrongAudience = 'google_token_wrong_audience',
  WrongServiceAccount = 'google_token_wrong_service_account',
  CertificatesUnavailable = 'google_certificates_unavailable',
  InvalidEnvelope = 'google_invalid_envelope',
}

export const googleError = errorFactory<GoogleErrorCode>({
  [GoogleErrorCode.NotConfigured]: {
    status: 503,
    message:
      'Google Play notifications are not configured (GOOGLE_PACKAGE_NAME, GOOGLE_PUBSUB_AUDIENCE and GOOGLE_PUBSUB_SERVICE_ACCOUNT are required).',
  },
  [GoogleErrorCode.TokenMissing]: {
    status: 401,
    message: 'A Pub/Sub OIDC token is required: send Authorization: Bearer <token>.',
  },
  [GoogleErrorCode.TokenInvalid]: {
    status: 401,
    message: 'The Pub/Sub OIDC token is malformed or its signature does not verify.',
  },
  [GoogleErrorCode.TokenExpired]: { status: 401, message: 'The Pub/Sub OIDC token has expired.' },
  [GoogleErrorCode.WrongIssuer]: {
    status: 401,
    message: 'The Pub/Sub OIDC token was not issued by accounts.google.com.',
  },
  [GoogleErrorCode.WrongAudience]: {
    status: 403,
    message: 'The Pub/Sub OIDC token was issued for another audience.',
  },
  [GoogleErrorCode.WrongServiceAccount]: {
    status: 403,
    message: 'The Pub/Sub OIDC token was not issued to the configured push service account.',
  },
  [GoogleErrorCode.CertificatesUnavailable]: {
    status: 503,
    message: "Google's signing certificates could not be read; retry later.",
  },
  [GoogleErrorCode.InvalidEnvelope]: {
    status: 400,
    message: 'The body is not a Pub/Sub push envelope with message.messageId and message.data.',
  },
});

/** Reasons recorded on the inbox row when a verified message can never be processed. */
export enum GoogleInboxFailure {
  DataNotBase64Json = 'google_data_not_base64_json',
  NotADeveloperNotification = 'google_not_a_developer_notification',
  WrongPackage = 'google_wrong_package',
  PurchaseTokenNotFound = 'google_purchase_token_not_found',
  PurchaseTokenGone = 'google_purchase_token_gone',
  PurchaseTokenInvalid = 'google_purchase_token_invalid',
  UnknownSubscriptionState = 'google_unknown_subscription_state',
  NoLineItems = 'google_no_line_items',
}
