import { Module, type OnModuleInit } from '@nestjs/common';
import { AccountsModule } from '../../accounts/accounts.module';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { EntitlementsModule } from '../../entitlements/entitlements.module';
import { InboxHandlerRegistry } from '../../inbox/inbox-handler.registry';
import { InboxModule } from '../../inbox/inbox.module';
import { AppleInboxHandler } from './apple-inbox.handler';
import { AppleNotificationVerifier } from './apple-notification.verifier';
import { AppleWebhookController } from './apple-webhook.controller';
import { AppleWebhookService } from './apple-webhook.service';

/**
 * App Store Server Notifications V2: verified with Apple's library against the trusted roots
 * (loaded at boot: a bad APPLE_ROOT_CERTS stops the boot), stored, then applied from the inbox.
 */
@Module({
  imports: [InboxModule, EntitlementsModule, AccountsModule],
  controllers: [AppleWebhookController],
  providers: [
    {
      provide: AppleNotificationVerifier,
      useFactory: (config: AppConfig) => AppleNotificationVerifier.fromConfig(config.apple),
      inject: [APP_CONFIG],
    },
    AppleWebhookService,
    AppleInboxHandler,
  ],
})
export class AppleModule implements OnModuleInit {
  constructor(
    private readonly registry: InboxHandlerRegistry,
    private readonly handler: AppleInboxHandler,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.handler);
  }
}
