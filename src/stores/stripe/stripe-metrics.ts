import type { MetricsService } from '../../metrics/metrics.service';
import type { StripeRejectionReason } from './stripe-webhook.verifier';

/** Verified content the service could not fully use; each is counted and logged. */
export type StripeEventProblem =
  | 'unlinked_subscription'
  | 'unknown_price'
  | 'pending_price_unresolved'
  | 'unusable_event'
  | 'unlinked_dispute'
  | 'repeat_trial';

/** The Stripe module's counters, created on the shared registry. */
export class StripeMetrics {
  constructor(private readonly metrics: MetricsService) {}

  rejected(
    reason:
      StripeRejectionReason | 'not_configured' | 'unsupported_media_type' | 'payload_too_large',
  ): void {
    this.metrics
      .counter('webhook_rejections_total', 'Store webhook requests refused, by store and reason', [
        'store',
        'reason',
      ])
      .inc({ store: 'stripe', reason });
  }

  problem(problem: StripeEventProblem): void {
    this.metrics
      .counter(
        'stripe_event_problems_total',
        'Verified Stripe events whose content could not be fully used, by problem',
        ['problem'],
      )
      .inc({ problem });
  }
}
