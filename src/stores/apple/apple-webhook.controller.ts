import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Public } from '../../common/auth/require-scopes.decorator';
import { AppleNotificationBody, AppleNotificationReceipt } from './apple-webhook.dto';
import { AppleWebhookService } from './apple-webhook.service';

/** App Store Server Notifications V2 (the App Store's own signature is the authentication). */
@ApiTags('webhooks')
@Public()
@Controller('webhooks/apple')
export class AppleWebhookController {
  constructor(private readonly webhooks: AppleWebhookService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Receive an App Store Server Notification V2',
    description:
      'Verifies the JWS chain against the trusted Apple roots, stores the notification (once per notificationUUID) and acknowledges it; processing follows from the inbox.',
  })
  @ApiOkResponse({ type: AppleNotificationReceipt })
  @ApiBadRequestResponse({ description: 'Verification failed; nothing was stored.' })
  @ApiServiceUnavailableResponse({ description: 'Apple notifications are not configured.' })
  receive(@Body() body: AppleNotificationBody): Promise<AppleNotificationReceipt> {
    return this.webhooks.receive(body.signedPayload);
  }
}
