import { ApiProperty } from '@nestjs/swagger';

/** The acknowledgement Stripe gets once the event is stored (any 2xx will do for Stripe). */
export class StripeWebhookReceivedDto {
  @ApiProperty({ example: true })
  received!: boolean;

  @ApiProperty({ description: 'Stripe had delivered this event before; nothing new was stored.' })
  duplicate!: boolean;
}
