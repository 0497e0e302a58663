import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';

/**
 * The body the App Store posts (responseBodyV2). `signedPayload` is checked by the verifier rather
 * than by the validation pipe, so a missing or malformed value is refused with an Apple error code
 * and counted like every other refused notification.
 */
export class AppleNotificationBody {
  @ApiProperty({
    description: 'App Store Server Notification V2: a JWS (compact form) signed by the App Store.',
    type: String,
    example: 'eyJhbGciOiJFUzI1NiIsIng1YyI6WyJ...',
  })
  @Allow()
  signedPayload?: unknown;
}

export class AppleNotificationReceipt {
  @ApiProperty({ description: 'The notification was verified and stored.', example: true })
  received!: true;

  @ApiProperty({ description: 'This notificationUUID had already been stored.', example: false })
  duplicate!: boolean;
}
