/**
 * Order does not matter (SPEC §5): the same Google lifecycle delivered in time order, and with its
 * messages shuffled, delayed, duplicated and redelivered, ends in the same entitlement answer.
 * Each message is re-read through the Play API when processed, so a late message only ever adds an
 * older-or-equal picture, which never overwrites a newer one.
 */
import { GoogleHarness } from './google-e2e.harness';
import type { EntitlementBody } from './google-e2e.harness';
import {
  pubsubPush,
  type SubscriptionSpec,
} from '../../fakes/google/subscription-purchase.builder';

const DAY = 86_400_000;
const BASE = new Date('2026-03-01T09:00:00Z');
const at = (days: number): Date => new Date(BASE.getTime() + days * DAY);

interface Step {
  /** Days after BASE when Google's state changes and the notification is sent. */
  day: number;
  type: number;
  spec: Omit<SubscriptionSpec, 'obfuscatedAccountId'>;
}

/** Trial → paid → cancel → restart → grace → recovered, with a deferred downgrade at the end. */
const LIFECYCLE: Step[] = [
  {
    day: 0,
    type: 4,
    spec: {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      freeTrial: true,
      expiryTime: at(3),
    },
  },
  {
    day: 3,
    type: 2,
    spec: {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      expiryTime: at(33),
      acknowledged: true,
    },
  },
  {
    day: 10,
    type: 3,
    spec: {
      state: 'SUBSCRIPTION_STATE_CANCELED',
      productId: 'unlimited_pro',
      expiryTime: at(33),
      acknowledged: true,
    },
  },
  {
    day: 12,
    type: 7,
    spec: {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      expiryTime: at(33),
      acknowledged: true,
    },
  },
  {
    day: 33,
    type: 6,
    spec: {
      state: 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD',
      productId: 'unlimited_pro',
      expiryTime: at(40),
      acknowledged: true,
    },
  },
  {
    day: 35,
    type: 1,
    spec: {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      expiryTime: at(65),
      acknowledged: true,
    },
  },
  {
    day: 40,
    type: 17,
    spec: {
      state: 'SUBSCRIPTION_STATE_ACTIVE',
      productId: 'unlimited_pro',
      expiryTime: at(65),
      deferredReplacementProductId: 'unlimited',
      acknowledged: true,
    },
  },
];
const EVALUATE_AT = at(41);

/** A small deterministic PRNG (mulberry32) so a failing order can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function answer(e: EntitlementBody) {
  return {
    covered: e.covered,
    state: e.state,
    plan: e.plan,
    interval: e.interval,
    trialEndsAt: e.trialEndsAt,
    paidThrough: e.paidThrough,
    cancelAtPeriodEnd: e.cancelAtPeriodEnd,
    pendingChange: e.pendingChange,
    limits: e.limits,
    states: e.subscriptions.map((s) => s.state),
  };
}

describe('Google Play: order and redelivery do not matter (e2e)', () => {
  let h: GoogleHarness;

  beforeAll(async () => {
    h = await GoogleHarness.start({ start: BASE });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function account(name: string): Promise<{ acc: string; gid: string }> {
    return { acc: name, gid: await h.googleIdFor(name) };
  }

  async function inOrder(name: string): Promise<EntitlementBody> {
    const { acc, gid } = await account(name);
    const token = `tok-${name}`;
    for (const step of LIFECYCLE) {
      h.clock.set(at(step.day));
      h.setPurchase(token, { ...step.spec, obfuscatedAccountId: gid });
      await h.notify(step.type, token);
    }
    h.clock.set(EVALUATE_AT);
    return h.entitlement(acc);
  }

  /**
   * Google's state moves step by step; each step's message is held back a random number of
   * steps, messages due together are delivered in random order, some twice, and some delivered
   * again after they were processed (Pub/Sub redelivery).
   */
  async function shuffled(name: string, seed: number): Promise<EntitlementBody> {
    const random = prng(seed);
    const { acc, gid } = await account(name);
    const token = `tok-${name}`;
    const held: { messageId: string; type: number; sentAt: Date }[] = [];
    const processed: string[] = [];

    const deliver = async (batch: typeof held) => {
      for (const m of shuffle(batch, random)) {
        const body = h.subscriptionEvent(m.type, token);
        body.eventTimeMillis = String(m.sentAt.getTime());
        const copies = random() < 0.3 ? 2 : 1;
        for (let c = 0; c < copies; c++) {
          const res = await h.push(pubsubPush(m.messageId, body, m.sentAt));
          expect(res.status).toBe(200);
          if (c > 0) {
            expect(res.body).toEqual({ received: true, duplicate: true });
          }
        }
      }
      await h.settle();
      processed.push(...batch.map((m) => m.messageId));
    };

    for (const step of LIFECYCLE) {
      h.clock.set(at(step.day));
      h.setPurchase(token, { ...step.spec, obfuscatedAccountId: gid });
      held.push({ messageId: h.nextMessageId(), type: step.type, sentAt: at(step.day) });
      // Deliver a random part of what is held back so far.
      const due = held.filter(() => random() < 0.4);
      for (const m of due) held.splice(held.indexOf(m), 1);
      if (due.length > 0) await deliver(due);
      // Pub/Sub redelivers a message already processed now and then.
      if (processed.length > 0 && random() < 0.5) {
        const again = processed[Math.floor(random() * processed.length)];
        const before = await h.inboxCount();
        const res = await h.push(pubsubPush(again, h.subscriptionEvent(2, token)));
        expect(res.body).toEqual({ received: true, duplicate: true });
        expect(await h.inboxCount()).toBe(before);
      }
    }
    await deliver(held.splice(0));
    h.clock.set(EVALUATE_AT);
    return h.entitlement(acc);
  }

  it('in time order, the lifecycle ends active on Unlimited Pro with a downgrade scheduled', async () => {
    const e = await inOrder('order-ref');
    expect(answer(e)).toEqual({
      covered: true,
      state: 'active',
      plan: 'unlimited_pro',
      interval: 'month',
      trialEndsAt: null,
      paidThrough: at(65).toISOString(),
      cancelAtPeriodEnd: false,
      pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: at(65).toISOString() },
      limits: { image: 16, video: 4 },
      states: ['active'],
    });
  });

  it.each([1, 2, 3, 4, 5])(
    'shuffled, delayed and redelivered (seed %i), it ends in the same answer',
    async (seed) => {
      const reference = answer(await inOrder(`order-ref-${seed}`));
      const e = await shuffled(`order-shuffled-${seed}`, seed);
      expect(answer(e)).toEqual(reference);
    },
  );
});
