import Stripe from 'stripe';

/** Stripe's documented replay window; the SDK's default too, stated here so it cannot drift. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Why a webhook request was refused; also the `reason` label of the rejection metric. */
export type StripeRejectionReason =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_mismatch'
  | 'timestamp_outside_tolerance'
  | 'payload_missing'
  | 'payload_not_json'
  | 'event_malformed';

export const STRIPE_REJECTION_REASONS: readonly StripeRejectionReason[] = [
  'signature_missing',
  'signature_malformed',
  'signature_mismatch',
  'timestamp_outside_tolerance',
  'payload_missing',
  'payload_not_json',
  'event_malformed',
];

/** The fields of a Stripe event the service relies on, checked after verification. */
export interface VerifiedStripeEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  apiVersion: string | null;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  /** The decoded body as received. */
  raw: Record<string, unknown>;
}

export type StripeVerification =
  | { ok: true; event: VerifiedStripeEvent; secretIndex: number }
  | { ok: false; reason: StripeRejectionReason; detail: string };

export interface StripeVerificationInput {
  /** The raw request body, byte for byte as received. */
  payload: Buffer | string | undefined | null;
  header: string | string[] | undefined;
  /** Every endpoint secret currently valid (more than one during a rotation). */
  secrets: readonly string[];
  /** The time of receipt (the tolerance is measured against it). */
  now: Date;
  toleranceSeconds?: number;
}

type Attempt =
  { ok: true; event: unknown } | { ok: false; reason: StripeRejectionReason; detail: string };

function classifySdkError(error: unknown): { reason: StripeRejectionReason; detail: string } {
  if (error instanceof SyntaxError) {
    return { reason: 'payload_not_json', detail: 'the signed body is not JSON' };
  }
  if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
    // The SDK has one error class for every verification failure; its messages are the only
    // discriminator (stable across the SDK's recent majors).
    const message = error.message;
    if (message.includes('tolerance')) {
      return {
        reason: 'timestamp_outside_tolerance',
        detail: 'timestamp outside the tolerance zone',
      };
    }
    if (message.includes('Unable to extract timestamp') || message.includes('expected scheme')) {
      return {
        reason: 'signature_malformed',
        detail: 'no timestamp or no v1 signature in the header',
      };
    }
    if (message.includes('No stripe-signature header')) {
      return { reason: 'signature_missing', detail: 'no Stripe-Signature header' };
    }
    if (message.includes('No webhook payload')) {
      return { reason: 'payload_missing', detail: 'empty body' };
    }
    return { reason: 'signature_mismatch', detail: 'no signature matches the body' };
  }
  const detail = error instanceof Error ? error.message : 'unknown verification error';
  return { reason: 'event_malformed', detail };
}

function attempt(
  payload: Buffer | string,
  header: string,
  secret: string,
  tolerance: number,
  receivedAtMs: number,
): Attempt {
  try {
    const event = Stripe.webhooks.constructEvent(
      payload,
      header,
      secret,
      tolerance,
      undefined,
      receivedAtMs,
    );
    return { ok: true, event };
  } catch (error) {
    return { ok: false, ...classifySdkError(error) };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the fields the service relies on from a decoded Stripe event (also used on stored ones). */
export function readStripeEvent(
  parsed: unknown,
): { ok: true; event: VerifiedStripeEvent } | { ok: false; detail: string } {
  if (!isRecord(parsed)) return { ok: false, detail: 'the body is not a JSON object' };
  const { id, type, created, data, livemode, api_version: apiVersion } = parsed;
  if (typeof id !== 'string' || id.length === 0 || id.length > 255) {
    return { ok: false, detail: 'id must be a non-empty string' };
  }
  if (typeof type !== 'string' || type.length === 0 || type.length > 255) {
    return { ok: false, detail: 'type must be a non-empty string' };
  }
  if (typeof created !== 'number' || !Number.isInteger(created) || created <= 0) {
    return { ok: false, detail: 'created must be a positive integer (Unix seconds)' };
  }
  if (!isRecord(data) || !isRecord(data.object)) {
    return { ok: false, detail: 'data.object must be an object' };
  }
  const previous = data.previous_attributes;
  return {
    ok: true,
    event: {
      id,
      type,
      created,
      livemode: livemode === true,
      apiVersion: typeof apiVersion === 'string' ? apiVersion : null,
      data: {
        object: data.object,
        ...(isRecord(previous) ? { previous_attributes: previous } : {}),
      },
      raw: parsed,
    },
  };
}

/**
 * Verifies a Stripe webhook with the official SDK (HMAC-SHA256 over `"{t}.{raw body}"`, any of the
 * header's `v1` signatures, tolerance measured against `now`) for each configured secret in turn,
 * then checks the event's shape. Pure apart from the SDK's HMAC: no clock, no I/O.
 */
export function verifyStripeWebhook(input: StripeVerificationInput): StripeVerification {
  const tolerance = input.toleranceSeconds ?? STRIPE_SIGNATURE_TOLERANCE_SECONDS;
  const { payload, header } = input;
  if (payload === undefined || payload === null || payload.length === 0) {
    return { ok: false, reason: 'payload_missing', detail: 'empty body' };
  }
  if (header === undefined || header === '' || (Array.isArray(header) && header.length === 0)) {
    return { ok: false, reason: 'signature_missing', detail: 'no Stripe-Signature header' };
  }
  if (Array.isArray(header)) {
    return { ok: false, reason: 'signature_malformed', detail: 'several Stripe-Signature headers' };
  }
  if (input.secrets.length === 0) {
    throw new Error('verifyStripeWebhook needs at least one endpoint secret');
  }

  const failures: Array<{ reason: StripeRejectionReason; detail: string }> = [];
  for (const [secretIndex, secret] of input.secrets.entries()) {
    const result = attempt(payload, header, secret, tolerance, input.now.getTime());
    if (result.ok) {
      const shaped = readStripeEvent(result.event);
      if (!shaped.ok) return { ok: false, reason: 'event_malformed', detail: shaped.detail };
      return { ok: true, event: shaped.event, secretIndex };
    }
    // A secret whose signature matched decides the answer (stale timestamp, not JSON).
    if (result.reason !== 'signature_mismatch') {
      return { ok: false, reason: result.reason, detail: result.detail };
    }
    failures.push({ reason: result.reason, detail: result.detail });
  }
  return failures[0]
    ? { ok: false, ...failures[0] }
    : { ok: false, reason: 'signature_mismatch', detail: 'no signature matches the body' };
}
