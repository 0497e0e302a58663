import {
  Environment,
  SignedDataVerifier,
  VerificationException,
  VerificationStatus,
} from '@apple/app-store-server-library';
import type {
  JWSRenewalInfoDecodedPayload,
  JWSTransactionDecodedPayload,
  ResponseBodyV2DecodedPayload,
} from '@apple/app-store-server-library';
import type { AppException } from '../../common/errors/app.exception';
import type { AppConfig, AppleEnvironmentName } from '../../config/app-config';
import { appleError, AppleErrorCode } from './apple-errors';
import type { VerifiedAppleNotification } from './apple-notification.types';
import { loadAppleRootCertificates } from './apple-root-certificates';

export interface AppleVerifierOptions {
  /** DER-encoded trusted roots. */
  rootCertificates: Buffer[];
  bundleId: string | undefined;
  appAppleId: number | undefined;
  environments: AppleEnvironmentName[];
  /** OCSP revocation checks and "now" as the certificate validity date (needs Apple's network). */
  onlineChecks: boolean;
}

/** The library's environments we may ever verify for; Xcode and LocalTesting skip signatures. */
const LIBRARY_ENVIRONMENT: Record<AppleEnvironmentName, Environment> = {
  Production: Environment.PRODUCTION,
  Sandbox: Environment.SANDBOX,
};

const ENVIRONMENT_NAMES: readonly string[] = Object.values(Environment);

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function stringAt(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

/**
 * The environment the payload declares, read before verification only to pick the verifier
 * (each library verifier is bound to one environment). The chosen verifier then checks the
 * signed value, so a false declaration fails verification.
 */
function declaredEnvironment(payload: Record<string, unknown>): string | undefined {
  const direct =
    stringAt(payload.data, 'environment') ??
    stringAt(payload.summary, 'environment') ??
    stringAt(payload.appData, 'environment');
  if (direct !== undefined) return direct;
  const externalId = stringAt(payload.externalPurchaseToken, 'externalPurchaseId');
  if (externalId !== undefined) return externalId.startsWith('SANDBOX') ? 'Sandbox' : 'Production';
  return undefined;
}

function refusal(status: VerificationStatus): AppException {
  switch (status) {
    case VerificationStatus.OK:
    case VerificationStatus.VERIFICATION_FAILURE:
      return appleError(AppleErrorCode.SignatureInvalid);
    case VerificationStatus.RETRYABLE_VERIFICATION_FAILURE:
      return appleError(AppleErrorCode.VerificationUnavailable);
    case VerificationStatus.INVALID_APP_IDENTIFIER:
      return appleError(AppleErrorCode.AppMismatch);
    case VerificationStatus.INVALID_ENVIRONMENT:
      return appleError(AppleErrorCode.EnvironmentMismatch);
    case VerificationStatus.INVALID_CHAIN_LENGTH:
      return appleError(AppleErrorCode.CertificateChainLength);
    case VerificationStatus.INVALID_CERTIFICATE:
      return appleError(AppleErrorCode.CertificateInvalid);
    case VerificationStatus.FAILURE:
      return appleError(AppleErrorCode.MalformedPayload);
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

async function verified<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof VerificationException) throw refusal(e.status);
    throw appleError(AppleErrorCode.SignatureInvalid);
  }
}

/**
 * Verifies App Store Server Notifications V2 with Apple's own library: x5c chain to a trusted
 * root, Apple's marker OIDs, certificate dates, ES256 signature, bundle id, app Apple id and
 * environment, for the notification and its nested transaction and renewal info.
 */
export class AppleNotificationVerifier {
  private readonly verifiers = new Map<AppleEnvironmentName, SignedDataVerifier>();
  /** Why notifications cannot be accepted, or null when they can. */
  readonly notConfiguredReason: string | null;

  constructor(options: AppleVerifierOptions) {
    const missing: string[] = [];
    if (!options.bundleId) missing.push('APPLE_BUNDLE_ID');
    if (options.appAppleId === undefined && options.environments.includes('Production')) {
      missing.push('APPLE_APP_APPLE_ID');
    }
    this.notConfiguredReason =
      missing.length > 0
        ? `App Store notifications are not enabled: set ${missing.join(' and ')}.`
        : null;
    if (this.notConfiguredReason !== null || !options.bundleId) return;
    for (const environment of options.environments) {
      this.verifiers.set(
        environment,
        new SignedDataVerifier(
          options.rootCertificates,
          options.onlineChecks,
          LIBRARY_ENVIRONMENT[environment],
          options.bundleId,
          options.appAppleId,
        ),
      );
    }
  }

  static fromConfig(config: AppConfig['apple']): AppleNotificationVerifier {
    return new AppleNotificationVerifier({
      rootCertificates: loadAppleRootCertificates(config.rootCertPaths),
      bundleId: config.bundleId,
      appAppleId: config.appAppleId,
      environments: config.environments,
      onlineChecks: config.onlineChecks,
    });
  }

  get configured(): boolean {
    return this.notConfiguredReason === null;
  }

  /** Verifies a webhook body's `signedPayload`; throws an AppException with an Apple code. */
  async verify(signedPayload: unknown): Promise<VerifiedAppleNotification> {
    if (this.notConfiguredReason !== null) {
      throw appleError(AppleErrorCode.NotConfigured, this.notConfiguredReason);
    }
    if (typeof signedPayload !== 'string' || signedPayload.length === 0) {
      throw appleError(AppleErrorCode.SignedPayloadMissing);
    }
    if (!COMPACT_JWS.test(signedPayload)) throw appleError(AppleErrorCode.MalformedPayload);
    const [headerSegment, payloadSegment] = signedPayload.split('.');
    const header = decodeSegment(headerSegment);
    const payload = decodeSegment(payloadSegment);
    if (!header || !payload) throw appleError(AppleErrorCode.MalformedPayload);
    if (header.alg !== 'ES256') {
      throw appleError(
        AppleErrorCode.SignatureInvalid,
        'The signed payload must be signed with ES256, as the App Store signs.',
      );
    }
    const declared = declaredEnvironment(payload);
    if (declared === undefined) {
      throw appleError(AppleErrorCode.MalformedPayload, 'The notification names no environment.');
    }
    const verifier = this.verifiers.get(declared as AppleEnvironmentName);
    if (!verifier) {
      const name = ENVIRONMENT_NAMES.includes(declared) ? `the ${declared}` : 'an unknown';
      throw appleError(
        AppleErrorCode.EnvironmentNotAccepted,
        `Notifications from ${name} environment are not accepted (accepted: ${[...this.verifiers.keys()].join(', ')}).`,
      );
    }
    const environment = declared as AppleEnvironmentName;

    // The library checks this too but reports it as an invalid certificate; say what is wrong.
    if (!Array.isArray(header.x5c) || header.x5c.length !== 3) {
      throw appleError(AppleErrorCode.CertificateChainLength);
    }

    const notification: ResponseBodyV2DecodedPayload = await verified(() =>
      verifier.verifyAndDecodeNotification(signedPayload),
    );
    const { notificationType, notificationUUID, signedDate } = notification;
    if (
      typeof notificationType !== 'string' ||
      typeof notificationUUID !== 'string' ||
      notificationUUID.length === 0 ||
      typeof signedDate !== 'number'
    ) {
      throw appleError(
        AppleErrorCode.MalformedPayload,
        'The notification lacks notificationType, notificationUUID or signedDate.',
      );
    }

    const signedTransaction = notification.data?.signedTransactionInfo;
    const signedRenewal = notification.data?.signedRenewalInfo;
    const transaction: JWSTransactionDecodedPayload | null = signedTransaction
      ? await verified(() => verifier.verifyAndDecodeTransaction(signedTransaction))
      : null;
    const renewalInfo: JWSRenewalInfoDecodedPayload | null = signedRenewal
      ? await verified(() => verifier.verifyAndDecodeRenewalInfo(signedRenewal))
      : null;

    return {
      environment,
      notification: { ...notification, notificationType, notificationUUID, signedDate },
      transaction,
      renewalInfo,
    };
  }
}
