import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { InboxService } from '../../inbox/inbox.service';
import { MetricsService } from '../../metrics/metrics.service';
import type { StripeWebhookReceivedDto } from './dto/stripe-webhook-received.dto';
import { stripeError, StripeErrorCode } from './stripe-error-codes';
import { StripeMetrics } from './stripe-metrics';
import { verifyStripeWebhook, type StripeRejectionReason } from './stripe-webhook.verifier';

const REJECTION_CODES: Record<StripeRejectionReason, StripeErrorCode> = {
  signature_missing: StripeErrorCode.SignatureMissing,
  signature_malformed: StripeErrorCode.SignatureMalformed,
  signature_mismatch: StripeErrorCode.SignatureMismatch,
  timestamp_outside_tolerance: StripeErrorCode.TimestampOutsideTolerance,
  payload_missing: StripeErrorCode.PayloadMissing,
  payload_not_json: StripeErrorCode.PayloadNotJson,
  event_malformed: StripeErrorCode.EventMalformed,
};

/** Verify, store, acknowledge: the whole of `POST /webhooks/stripe`. */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger(StripeWebhookService.name);
  private readonly stripeMetrics: StripeMetrics;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inbox: InboxService,
    private readonly clock: Clock,
    metrics: MetricsService,
  ) {
    this.stripeMetrics = new StripeMetrics(metrics);
  }

  async receive(
    rawBody: Buffer | undefined,
    signature: string | string[] | undefined,
  ): Promise<StripeWebhookReceivedDto> {
    const secrets = this.config.stripe.webhookSecrets;
    if (secrets.length === 0) {
      this.stripeMetrics.rejected('not_configured');
      throw stripeError(StripeErrorCode.WebhookNotConfigured);
    }
    const verified = verifyStripeWebhook({
      payload: rawBody,
      header: signature,
      secrets,
      now: this.clock.now(),
    });
    if (!verified.ok) {
      this.stripeMetrics.rejected(verified.reason);
      this.logger.warn(
        { reason: verified.reason, detail: verified.detail },
        'Stripe webhook refused',
      );
      throw stripeError(REJECTION_CODES[verified.reason]);
    }
    const { event } = verified;
    const stored = await this.inbox.receive({
      store: 'stripe',
      storeEventId: event.id,
      eventType: event.type,
      occurredAt: new Date(event.created * 1000),
      payload: event.raw,
    });
    this.logger.log(
      { eventId: event.id, eventType: event.type, inboxId: stored.id, duplicate: stored.duplicate },
      'Stripe event stored',
    );
    return { received: true, duplicate: stored.duplicate };
  }
}
