import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AccountsModule } from '../../accounts/accounts.module';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { EntitlementsModule } from '../../entitlements/entitlements.module';
import { InboxModule } from '../../inbox/inbox.module';
import { MetricsService } from '../../metrics/metrics.service';
import { GoogleInboxHandler } from './google-inbox.handler';
import { PubSubTokenVerifier } from './google-oidc.verifier';
import { GooglePlayDeveloperApi, PlayDeveloperApi } from './google-play-api.client';
import { GoogleWebhookController } from './google-webhook.controller';
import { GoogleWebhookService } from './google-webhook.service';

export const GOOGLE_WEBHOOK_ROUTE = '/webhooks/google';

/**
 * Google Play: Real-time developer notifications over Pub/Sub push (OIDC-verified, stored,
 * acknowledged), processed by the inbox handler, which re-reads every subscription through the
 * Play Developer API.
 */
@Module({
  imports: [InboxModule, AccountsModule, EntitlementsModule],
  controllers: [GoogleWebhookController],
  providers: [
    PubSubTokenVerifier,
    GoogleWebhookService,
    {
      provide: PlayDeveloperApi,
      useFactory: (config: AppConfig): PlayDeveloperApi => new GooglePlayDeveloperApi(config),
      inject: [APP_CONFIG],
    },
    GoogleInboxHandler,
  ],
})
export class GoogleModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {}

  /** Bodies Fastify refuses before the controller runs are refused pushes too: count them. */
  onModuleInit(): void {
    const instance: unknown = this.adapterHost.httpAdapter?.getInstance();
    const fastify = instance as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    const rejections = this.metrics.counter(
      'webhook_rejections_total',
      'Store webhook requests refused before storage, by store and reason',
      ['store', 'reason'],
    );
    fastify.addHook('onError', (request, _reply, error, done) => {
      if (request.routeOptions?.url === GOOGLE_WEBHOOK_ROUTE) {
        const code = (error as { code?: unknown }).code;
        const reason =
          code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'unsupported_media_type'
            : code === 'FST_ERR_CTP_BODY_TOO_LARGE'
              ? 'payload_too_large'
              : 'payload_not_json';
        rejections.inc({ store: 'google', reason });
      }
      done();
    });
  }
}
