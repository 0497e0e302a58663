import { errorFactory } from '../../common/errors/app.exception';

/** Every way an App Store Server Notification can be refused, with its status and message. */
export enum AppleErrorCode {
  NotConfigured = 'apple_not_configured',
  SignedPayloadMissing = 'apple_signed_payload_missing',
  MalformedPayload = 'apple_malformed_payload',
  SignatureInvalid = 'apple_signature_invalid',
  CertificateInvalid = 'apple_certificate_invalid',
  CertificateChainLength = 'apple_certificate_chain_length',
  AppMismatch = 'apple_app_mismatch',
  EnvironmentNotAccepted = 'apple_environment_not_accepted',
  EnvironmentMismatch = 'apple_environment_mismatch',
  VerificationUnavailable = 'apple_verification_unavailable',
}

export const appleError = errorFactory<AppleErrorCode>({
  [AppleErrorCode.NotConfigured]: {
    status: 503,
    message: 'App Store notifications are not enabled: set APPLE_BUNDLE_ID and APPLE_APP_APPLE_ID.',
  },
  [AppleErrorCode.SignedPayloadMissing]: {
    status: 400,
    message: 'The body must be {"signedPayload": "<JWS>"} with a non-empty string.',
  },
  [AppleErrorCode.MalformedPayload]: {
    status: 400,
    message: 'signedPayload is not an App Store Server Notification V2 in JWS compact form.',
  },
  [AppleErrorCode.SignatureInvalid]: {
    status: 400,
    message:
      'The signature or certificate chain of the signed payload could not be verified against the trusted Apple roots.',
  },
  [AppleErrorCode.CertificateInvalid]: {
    status: 400,
    message: 'A certificate in the x5c chain is unreadable, expired or not yet valid.',
  },
  [AppleErrorCode.CertificateChainLength]: {
    status: 400,
    message: 'The x5c header must hold exactly three certificates (leaf, intermediate, root).',
  },
  [AppleErrorCode.AppMismatch]: {
    status: 400,
    message: 'The notification is for another app (bundle id or app Apple id differs).',
  },
  [AppleErrorCode.EnvironmentNotAccepted]: {
    status: 400,
    message: 'Notifications from this App Store environment are not accepted here.',
  },
  [AppleErrorCode.EnvironmentMismatch]: {
    status: 400,
    message: 'The signed transaction or renewal info belongs to another App Store environment.',
  },
  [AppleErrorCode.VerificationUnavailable]: {
    status: 503,
    message: 'The certificate revocation check could not be completed; retry later.',
  },
});
