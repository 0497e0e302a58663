import type {
  JWSRenewalInfoDecodedPayload,
  JWSTransactionDecodedPayload,
  ResponseBodyV2DecodedPayload,
} from '@apple/app-store-server-library';
import type { AppleEnvironmentName } from '../../config/app-config';

/**
 * A notification after verification: the decoded signed payload and its decoded signed
 * transaction and renewal info (each verified with the same verifier). This is what the inbox
 * keeps, so processing never needs the certificates again.
 */
export interface VerifiedAppleNotification {
  /** The environment the notification was verified for (never Xcode or LocalTesting). */
  environment: AppleEnvironmentName;
  notification: ResponseBodyV2DecodedPayload & {
    notificationType: string;
    notificationUUID: string;
    signedDate: number;
  };
  transaction: JWSTransactionDecodedPayload | null;
  renewalInfo: JWSRenewalInfoDecodedPayload | null;
}

/** `TYPE` or `TYPE/SUBTYPE`, the way the history and the inbox name an Apple event. */
export function appleEventName(notification: {
  notificationType: string;
  subtype?: string;
}): string {
  return notification.subtype
    ? `${notification.notificationType}/${notification.subtype}`
    : notification.notificationType;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a stored inbox payload back as a verified notification (it was verified before it was
 * stored; this only guards the shape). Null when it is not one.
 */
export function parseStoredAppleNotification(payload: unknown): VerifiedAppleNotification | null {
  if (!isObject(payload)) return null;
  const { environment, notification, transaction, renewalInfo } = payload;
  if (environment !== 'Production' && environment !== 'Sandbox') return null;
  if (
    !isObject(notification) ||
    typeof notification.notificationType !== 'string' ||
    typeof notification.notificationUUID !== 'string' ||
    typeof notification.signedDate !== 'number'
  ) {
    return null;
  }
  if (notification.data !== undefined && !isObject(notification.data)) return null;
  if (transaction !== null && !isObject(transaction)) return null;
  if (renewalInfo !== null && !isObject(renewalInfo)) return null;
  return payload as unknown as VerifiedAppleNotification;
}
