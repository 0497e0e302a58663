import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AccountsModule } from '../../accounts/accounts.module';
import { EntitlementsModule } from '../../entitlements/entitlements.module';
import { InboxModule } from '../../inbox/inbox.module';
import { MetricsService } from '../../metrics/metrics.service';
import { StripeApiClient } from './stripe-api.client';
import { StripeBillingController, TrialEligibilityController } from './stripe-billing.controller';
import { StripeBillingService } from './stripe-billing.service';
import { StripeCustomerLinks } from './stripe-customer-links.service';
import { StripeInboxHandler } from './stripe-inbox.handler';
import { StripeMetrics } from './stripe-metrics';
import { StripeObjectMirror } from './stripe-object-mirror.service';
import { StripeWebhookController } from './stripe-webhook.controller';
import { StripeWebhookService } from './stripe-webhook.service';

export const STRIPE_WEBHOOK_ROUTE = '/webhooks/stripe';

/**
 * Stripe: webhooks (verify, store, acknowledge; processed by the inbox handler), Checkout and
 * Customer Portal sessions, and the one-trial-per-person eligibility route.
 */
@Module({
  imports: [InboxModule, AccountsModule, EntitlementsModule],
  controllers: [StripeWebhookController, StripeBillingController, TrialEligibilityController],
  providers: [
    StripeApiClient,
    StripeObjectMirror,
    StripeCustomerLinks,
    StripeWebhookService,
    StripeInboxHandler,
    StripeBillingService,
  ],
})
export class StripeModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Bodies Fastify refuses before the controller runs (not JSON, wrong media type, too large)
   * are rejections of the webhook too: count them with the others.
   */
  onModuleInit(): void {
    const instance: unknown = this.adapterHost.httpAdapter?.getInstance();
    const fastify = instance as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    const stripeMetrics = new StripeMetrics(this.metrics);
    fastify.addHook('onError', (request, _reply, error, done) => {
      if (request.routeOptions?.url === STRIPE_WEBHOOK_ROUTE) {
        const code = (error as { code?: unknown }).code;
        stripeMetrics.rejected(
          code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'unsupported_media_type'
            : code === 'FST_ERR_CTP_BODY_TOO_LARGE'
              ? 'payload_too_large'
              : 'payload_not_json',
        );
      }
      done();
    });
  }
}
