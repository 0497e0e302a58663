import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The Pub/Sub push body, for the OpenAPI document only. The controller does not validate it with
 * the global ValidationPipe: the OIDC token is checked first, and Pub/Sub adds fields over time
 * (`message_id`, `publish_time`, `orderingKey`, `deliveryAttempt`), which `forbidNonWhitelisted`
 * would turn into endless redeliveries. `parsePushEnvelope` reads it instead.
 */
export class PubSubMessageDto {
  @ApiProperty({ description: 'Base64 of the Google Play DeveloperNotification JSON.' })
  data!: string;

  @ApiProperty({ example: '136969346945' })
  messageId!: string;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00.000Z' })
  publishTime?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  attributes?: Record<string, string>;
}

export class PubSubPushDto {
  @ApiProperty({ type: PubSubMessageDto })
  message!: PubSubMessageDto;

  @ApiPropertyOptional({ example: 'projects/my-project/subscriptions/play-rtdn' })
  subscription?: string;
}

export class PubSubPushReceivedDto {
  @ApiProperty({ example: true })
  received!: true;

  @ApiProperty({ description: 'The message was already stored (a redelivery).' })
  duplicate!: boolean;
}
