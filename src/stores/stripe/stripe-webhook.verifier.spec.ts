import Stripe from 'stripe';
import {
  buildSubscription,
  buildPrice,
  unix,
} from '../../../test/fakes/stripe/stripe-objects.builder';
import {
  buildStripeEvent,
  eventBody,
  signStripePayload,
  webhookSecret,
} from '../../../test/fakes/stripe/stripe-events.builder';
import { verifyStripeWebhook, type StripeRejectionReason } from './stripe-webhook.verifier';

const NOW = new Date('2026-03-01T12:00:00Z');
const T = unix(NOW);
const SECRET = webhookSecret();
const OLD_SECRET = webhookSecret();

function sampleBody(): string {
  const price = buildPrice({
    product: 'prod_1',
    lookupKey: 'unlimited_monthly',
    unitAmount: 2000,
    interval: 'month',
    created: T - 1000,
  });
  const sub = buildSubscription({
    customer: 'cus_1',
    price,
    status: 'active',
    created: T - 100,
    periodStart: T - 100,
    periodEnd: T + 86400 * 30,
  });
  return eventBody(buildStripeEvent('customer.subscription.created', sub, { created: T - 5 }));
}

describe('verifyStripeWebhook', () => {
  const body = sampleBody();

  it('accepts a body signed with the configured secret and returns the event', () => {
    const result = verifyStripeWebhook({
      payload: Buffer.from(body),
      header: signStripePayload(body, SECRET, T),
      secrets: [SECRET],
      now: NOW,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event.type).toBe('customer.subscription.created');
    expect(result.event.id).toMatch(/^evt_/);
    expect(result.event.created).toBe(T - 5);
    expect(result.event.apiVersion).toBe(Stripe.API_VERSION);
    expect(result.secretIndex).toBe(0);
  });

  it('accepts a string payload as well as a Buffer', () => {
    const result = verifyStripeWebhook({
      payload: body,
      header: signStripePayload(body, SECRET, T),
      secrets: [SECRET],
      now: NOW,
    });
    expect(result.ok).toBe(true);
  });

  it('during a rotation accepts a header signed by either secret, whichever order they are configured in', () => {
    const signedOld = signStripePayload(body, OLD_SECRET, T);
    const signedBoth = signStripePayload(body, [OLD_SECRET, SECRET], T);
    const a = verifyStripeWebhook({
      payload: body,
      header: signedOld,
      secrets: [SECRET, OLD_SECRET],
      now: NOW,
    });
    const b = verifyStripeWebhook({
      payload: body,
      header: signedBoth,
      secrets: [SECRET],
      now: NOW,
    });
    expect(a).toMatchObject({ ok: true, secretIndex: 1 });
    expect(b).toMatchObject({ ok: true, secretIndex: 0 });
    expect(signedBoth.match(/v1=/g)).toHaveLength(2);
  });

  it('accepts a timestamp exactly at the 300 s edge and refuses one beyond it', () => {
    const edge = verifyStripeWebhook({
      payload: body,
      header: signStripePayload(body, SECRET, T - 300),
      secrets: [SECRET],
      now: NOW,
    });
    const beyond = verifyStripeWebhook({
      payload: body,
      header: signStripePayload(body, SECRET, T - 301),
      secrets: [SECRET],
      now: NOW,
    });
    expect(edge.ok).toBe(true);
    expect(beyond).toMatchObject({ ok: false, reason: 'timestamp_outside_tolerance' });
  });

  const altered = body.replace('"active"', '"canceled"');
  const cases: Array<{
    name: string;
    payload: string | Buffer | undefined;
    header: string | string[] | undefined;
    reason: StripeRejectionReason;
  }> = [
    { name: 'no header', payload: body, header: undefined, reason: 'signature_missing' },
    { name: 'empty header', payload: body, header: '', reason: 'signature_missing' },
    {
      name: 'header without timestamp',
      payload: body,
      header: 'v1=abc',
      reason: 'signature_malformed',
    },
    {
      name: 'header without v1',
      payload: body,
      header: `t=${T},v0=abc`,
      reason: 'signature_malformed',
    },
    { name: 'several headers', payload: body, header: ['a', 'b'], reason: 'signature_malformed' },
    {
      name: 'wrong secret',
      payload: body,
      header: signStripePayload(body, webhookSecret(), T),
      reason: 'signature_mismatch',
    },
    {
      name: 'body altered after signing',
      payload: altered,
      header: signStripePayload(body, SECRET, T),
      reason: 'signature_mismatch',
    },
    {
      name: 'body re-serialized (whitespace changed)',
      payload: JSON.stringify(JSON.parse(body)),
      header: signStripePayload(body, SECRET, T),
      reason: 'signature_mismatch',
    },
    {
      name: 'stale timestamp',
      payload: body,
      header: signStripePayload(body, SECRET, T - 3600),
      reason: 'timestamp_outside_tolerance',
    },
    {
      name: 'empty body',
      payload: '',
      header: signStripePayload('', SECRET, T),
      reason: 'payload_missing',
    },
    {
      name: 'no body',
      payload: undefined,
      header: signStripePayload(body, SECRET, T),
      reason: 'payload_missing',
    },
    {
      name: 'signed non-JSON',
      payload: 'not json {',
      header: signStripePayload('not json {', SECRET, T),
      reason: 'payload_not_json',
    },
    {
      name: 'signed JSON that is not an event',
      payload: '{"hello":"world"}',
      header: signStripePayload('{"hello":"world"}', SECRET, T),
      reason: 'event_malformed',
    },
    {
      name: 'signed JSON array',
      payload: '[1,2]',
      header: signStripePayload('[1,2]', SECRET, T),
      reason: 'event_malformed',
    },
    {
      name: 'signed event without data.object',
      payload:
        '{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{}}',
      header: signStripePayload(
        '{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{}}',
        SECRET,
        T,
      ),
      reason: 'event_malformed',
    },
  ];

  it.each(cases)('refuses: $name → $reason', ({ payload, header, reason }) => {
    const result = verifyStripeWebhook({
      payload,
      header,
      secrets: [SECRET, OLD_SECRET],
      now: NOW,
    });
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('needs at least one secret (the caller answers 503 before)', () => {
    expect(() =>
      verifyStripeWebhook({
        payload: body,
        header: signStripePayload(body, SECRET, T),
        secrets: [],
        now: NOW,
      }),
    ).toThrow(/at least one/);
  });
});
