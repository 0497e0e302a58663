/**
 * Streams of store webhooks as the stores send them, for whole subscription lifecycles: Stripe
 * events from the Stripe API fake's billing simulation (signed at send time, as Stripe signs),
 * Apple notifications from the App Store simulator (JWS with the test chain), and Google RTDN
 * pushes (Pub/Sub envelope with an OIDC token) whose purchases the Play API fake answers.
 */
import type { Store } from '../../../src/entitlements/domain/subscription-snapshot';
import { DAY_MS } from '../../fakes/apple/apple-notification.builder';
import { AppleSubscriptionSimulator } from '../../fakes/apple/apple-subscription.simulator';
import {
  pubsubPush,
  subscriptionNotification,
  subscriptionPurchase,
  SubscriptionSpec,
} from '../../fakes/google/subscription-purchase.builder';
import type { StripeApiFake } from '../../fakes/stripe/stripe-api.fake';
import {
  eventBody,
  signStripePayload,
  StripeEventJson,
} from '../../fakes/stripe/stripe-events.builder';
import { GOOGLE_PACKAGE, StoreRig } from './store-rig';

export interface Delivery {
  store: Store;
  /** Stripe event id, Apple notificationUUID, Pub/Sub messageId. */
  storeEventId: string;
  path: string;
  body: string;
  /** Headers computed when the delivery is (re)sent: Stripe signs with the current time. */
  headers(): Record<string, string>;
  accountId: string;
}

/** Store ids the service issued for an account (GET /v1/accounts/{id}/store-ids). */
export interface IssuedIds {
  appleAppAccountToken: string;
  googleObfuscatedAccountId: string;
}

/** A small deterministic PRNG, so a failing run can be repeated from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export function stripeDelivery(rig: StoreRig, event: StripeEventJson, accountId: string): Delivery {
  const body = eventBody(event);
  return {
    store: 'stripe',
    storeEventId: event.id,
    path: '/webhooks/stripe',
    body,
    headers: () => ({
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': signStripePayload(body, rig.stripeSecret, Math.floor(Date.now() / 1000)),
    }),
    accountId,
  };
}

/** A Stripe customer's subscription lifecycle, one of several shapes. */
export function stripeLifecycle(
  rig: StoreRig,
  fake: StripeApiFake,
  accountId: string,
  shape: number,
): Delivery[] {
  const customer = fake.addCustomer({ metadata: { account_id: accountId } });
  const events: StripeEventJson[] = [];
  const pro = shape % 3 === 1;
  const trial = shape % 4 === 0;
  const started = fake.startSubscription({
    customer: customer.id,
    lookupKey: pro ? 'unlimited_pro_monthly' : 'unlimited_monthly',
    trialDays: trial ? 3 : null,
    metadata: { account_id: accountId },
    fingerprint: `fp_${accountId}`,
  });
  events.push(...started.events);
  const sub = started.subscription.id;
  const steps: ((id: string) => StripeEventJson[])[] = [];
  if (trial) steps.push((id) => fake.convertTrial(id));
  switch (shape % 6) {
    case 0:
      steps.push((id) => fake.endOfPeriod(id));
      break;
    case 1:
      steps.push((id) => fake.scheduleDowngrade(id, 'unlimited_monthly'));
      steps.push((id) => fake.endOfPeriod(id));
      break;
    case 2:
      steps.push((id) => fake.upgrade(id, 'unlimited_pro_monthly'));
      break;
    case 3:
      steps.push((id) => fake.cancelAtPeriodEnd(id));
      steps.push((id) => fake.reactivate(id));
      break;
    case 4:
      steps.push((id) => fake.cancelAtPeriodEnd(id));
      steps.push((id) => fake.endOfPeriod(id));
      break;
    case 5:
      steps.push((id) => fake.endOfPeriod(id, { paymentSucceeds: false }));
      steps.push((id) => fake.refundLatestCharge(id));
      break;
  }
  for (const step of steps) events.push(...step(sub));
  return events.map((e) => stripeDelivery(rig, e, accountId));
}

/** An App Store subscription's lifecycle, signed as Apple signs notifications. */
export function appleLifecycle(
  rig: StoreRig,
  accountId: string,
  ids: IssuedIds,
  shape: number,
  start: number,
): Delivery[] {
  const sim = new AppleSubscriptionSimulator(rig.apple, {
    productId: shape % 3 === 1 ? 'unlimited_pro.monthly' : 'unlimited.monthly',
    appAccountToken: ids.appleAppAccountToken,
  });
  const out = [sim.subscribe(start, { freeTrial: shape % 4 === 0 })];
  const next = (days: number) => start + days * DAY_MS;
  switch (shape % 5) {
    case 0:
      out.push(sim.renew(next(3)));
      break;
    case 1:
      out.push(sim.downgrade(next(5), 'unlimited.monthly'), sim.renew(next(30)));
      break;
    case 2:
      out.push(sim.upgrade(next(4), 'unlimited_pro.monthly'));
      break;
    case 3:
      out.push(sim.setAutoRenew(next(2), false), sim.expire(next(30), 'VOLUNTARY'));
      break;
    case 4:
      out.push(sim.failToRenew(next(30), 16 * DAY_MS), sim.refund(next(31)));
      break;
  }
  return out.map((n) => ({
    store: 'apple' as const,
    storeEventId: n.payload.notificationUUID!,
    path: '/webhooks/apple',
    body: JSON.stringify(n.body),
    headers: () => ({ 'content-type': 'application/json' }),
    accountId,
  }));
}

/**
 * A Google Play purchase: its final resource is put in the Play API fake (the service reads it
 * fresh for every notification), and the notifications of its lifecycle are pushed.
 */
export function googleLifecycle(
  rig: StoreRig,
  accountId: string,
  ids: IssuedIds,
  shape: number,
  now: number,
): Delivery[] {
  const token = `gp-${accountId}-${shape}-${Math.floor(now / 1000)}`;
  const specs: [SubscriptionSpec, number[]][] = [
    [{ state: 'SUBSCRIPTION_STATE_ACTIVE', expiryTime: new Date(now + 20 * DAY_MS) }, [4, 2]],
    [
      {
        state: 'SUBSCRIPTION_STATE_ACTIVE',
        productId: 'unlimited_pro',
        expiryTime: new Date(now + 20 * DAY_MS),
      },
      [4],
    ],
    [
      {
        state: 'SUBSCRIPTION_STATE_CANCELED',
        expiryTime: new Date(now + 10 * DAY_MS),
        canceledBy: 'user',
        cancelTime: new Date(now - DAY_MS),
      },
      [4, 3],
    ],
    [{ state: 'SUBSCRIPTION_STATE_EXPIRED', expiryTime: new Date(now - DAY_MS) }, [4, 2, 13]],
    [{ state: 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD', expiryTime: new Date(now + DAY_MS) }, [4, 6]],
  ];
  const [spec, types] = specs[shape % specs.length];
  rig.playApi.put(
    GOOGLE_PACKAGE,
    token,
    subscriptionPurchase({
      startTime: new Date(now - 25 * DAY_MS),
      acknowledged: true,
      ...spec,
      obfuscatedAccountId: ids.googleObfuscatedAccountId,
    }),
  );
  return types.map((type, k) => {
    const messageId = `${Math.floor(now)}${String(shape).padStart(3, '0')}${k}${accountId.replace(/\D/g, '')}`;
    const at = new Date(now - (types.length - k) * 60_000);
    const body = JSON.stringify(
      pubsubPush(messageId, subscriptionNotification(GOOGLE_PACKAGE, type, token, at), at),
    );
    return {
      store: 'google' as const,
      storeEventId: messageId,
      path: '/webhooks/google',
      body,
      headers: () => ({
        'content-type': 'application/json',
        authorization: rig.googleAuthorization(),
      }),
      accountId,
    };
  });
}
