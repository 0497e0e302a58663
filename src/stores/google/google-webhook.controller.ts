import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/auth/require-scopes.decorator';
import { PubSubPushDto, PubSubPushReceivedDto } from './dto/pubsub-push.dto';
import { GoogleWebhookService } from './google-webhook.service';

@ApiTags('webhooks')
@Controller('webhooks/google')
@Public()
export class GoogleWebhookController {
  constructor(private readonly webhooks: GoogleWebhookService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Google Play Real-time developer notifications (Pub/Sub push, OIDC-authenticated)',
  })
  @ApiBody({ type: PubSubPushDto })
  @ApiOkResponse({ type: PubSubPushReceivedDto })
  receive(
    @Headers('authorization') authorization: string | undefined,
    // Read by parsePushEnvelope after the token is verified (see PubSubPushDto).
    @Body() body: unknown,
  ): Promise<PubSubPushReceivedDto> {
    return this.webhooks.receive(authorization, body);
  }
}
