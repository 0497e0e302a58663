import { errorFactory } from '../../common/errors/app.exception';

/** Error codes of the Stripe module (webhook verification, Checkout, Customer Portal). */
export enum StripeErrorCode {
  WebhookNotConfigured = 'stripe_webhook_not_configured',
  SignatureMissing = 'stripe_signature_missing',
  SignatureMalformed = 'stripe_signature_malformed',
  SignatureMismatch = 'stripe_signature_mismatch',
  TimestampOutsideTolerance = 'stripe_timestamp_outside_tolerance',
  PayloadMissing = 'stripe_payload_missing',
  PayloadNotJson = 'stripe_payload_not_json',
  EventMalformed = 'stripe_event_malformed',
  ApiNotConfigured = 'stripe_api_not_configured',
  CustomerNotFound = 'stripe_customer_not_found',
  PriceNotFound = 'stripe_price_not_found',
  ApiError = 'stripe_api_error',
}

export const stripeError = errorFactory<StripeErrorCode>({
  [StripeErrorCode.WebhookNotConfigured]: {
    status: 503,
    message: 'Stripe webhooks are not configured on this service (STRIPE_WEBHOOK_SECRET is unset).',
  },
  [StripeErrorCode.SignatureMissing]: {
    status: 400,
    message: 'The Stripe-Signature header is missing.',
  },
  [StripeErrorCode.SignatureMalformed]: {
    status: 400,
    message: 'The Stripe-Signature header has no timestamp or no v1 signature.',
  },
  [StripeErrorCode.SignatureMismatch]: {
    status: 400,
    message: 'No v1 signature matches the request body for any configured endpoint secret.',
  },
  [StripeErrorCode.TimestampOutsideTolerance]: {
    status: 400,
    message: 'The Stripe-Signature timestamp is outside the 300-second tolerance.',
  },
  [StripeErrorCode.PayloadMissing]: {
    status: 400,
    message: 'The request has no body.',
  },
  [StripeErrorCode.PayloadNotJson]: {
    status: 400,
    message: 'The signed body is not valid JSON.',
  },
  [StripeErrorCode.EventMalformed]: {
    status: 400,
    message:
      'The signed body is not a Stripe event (it needs string id, type and a numeric created).',
  },
  [StripeErrorCode.ApiNotConfigured]: {
    status: 503,
    message:
      'Stripe Checkout and the Customer Portal are not configured on this service (STRIPE_SECRET_KEY is unset).',
  },
  [StripeErrorCode.CustomerNotFound]: {
    status: 404,
    message: 'This account has no Stripe customer yet: subscribe through Checkout first.',
  },
  [StripeErrorCode.PriceNotFound]: {
    status: 422,
    message: 'No active Stripe price exists for this plan and interval.',
  },
  [StripeErrorCode.ApiError]: {
    status: 502,
    message: 'The Stripe API did not answer as expected; retry later.',
  },
});
