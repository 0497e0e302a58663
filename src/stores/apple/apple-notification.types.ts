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
