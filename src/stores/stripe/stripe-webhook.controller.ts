import { Controller, Headers, HttpCode, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/require-scopes.decorator';
import { StripeWebhookReceivedDto } from './dto/stripe-webhook-received.dto';
import { StripeWebhookService } from './stripe-webhook.service';

@ApiTags('webhooks')
@Controller('webhooks/stripe')
@Public()
export class StripeWebhookController {
  constructor(private readonly webhooks: StripeWebhookService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stripe webhook events (Stripe-Signature over the raw body, 300 s tolerance)',
    description:
      'Verified events are stored before the 200; duplicates are acknowledged again. ' +
      'Unset STRIPE_WEBHOOK_SECRET: 503.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true })
  @ApiOkResponse({ type: StripeWebhookReceivedDto })
  receive(
    // The signature covers the bytes as sent: verify the raw body, never the parsed one.
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<StripeWebhookReceivedDto> {
    return this.webhooks.receive(req.rawBody, signature);
  }
}
