import type { SubscriptionSnapshot, TransitionName } from './subscription-snapshot';
import { SubscriptionStateError, type SubscriptionState } from './subscription-state';
import {
  DAY,
  HOUR,
  aPolicy,
  aSnapshot,
  aTrialSnapshot,
  day,
  shift,
  stateOf,
} from './testing/snapshot.builder';
import { TRANSITION_NAMES, replacementTransitions, transition } from './transition';

const policy = aPolicy(); // one hour of leeway

/** Applies `snapshots` in order at their own instants; returns the names of the last step. */
function namesOfLast(...snapshots: SubscriptionSnapshot[]): TransitionName[] {
  let state: SubscriptionState | null = null;
  let names: TransitionName[] = [];
  for (const snapshot of snapshots) {
    const result = transition(state, snapshot, snapshot.observedAt, policy);
    names = result.transitions;
    state = result.next;
  }
  return names;
}

const pro = { plan: 'unlimited_pro', productId: 'unlimited_pro_monthly' } as const;
const toUnlimitedAt30 = {
  pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
} as const;
const nextPeriod = { currentPeriodStart: day(30), currentPeriodEnd: day(60) };

interface Case {
  name: string;
  steps: SubscriptionSnapshot[];
  expected: TransitionName[];
}

const cases: Case[] = [
  // trial
  { name: 'a first trial: trial_started', steps: [aTrialSnapshot()], expected: ['trial_started'] },
  {
    name: 'trial → active: converted',
    steps: [
      aTrialSnapshot(),
      aSnapshot({
        observedAt: day(3),
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
        trialEnd: day(3),
      }),
    ],
    expected: ['converted'],
  },
  {
    name: 'a conversion heard of after the trial end + leeway is still converted',
    steps: [
      aTrialSnapshot(),
      aTrialSnapshot({ observedAt: day(4), sourceEvent: 'noise' }),
      aSnapshot({
        observedAt: day(5),
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
        trialEnd: day(3),
      }),
    ],
    expected: ['converted'],
  },
  {
    name: 'a paid period starting long after the trial lapsed: resubscribed',
    steps: [
      aTrialSnapshot(),
      aTrialSnapshot({ observedAt: day(4), sourceEvent: 'noise' }),
      aSnapshot({
        observedAt: day(20),
        currentPeriodStart: day(20),
        currentPeriodEnd: day(50),
        trialEnd: day(3),
      }),
    ],
    expected: ['resubscribed'],
  },
  {
    name: 'a trial that ran out unseen is named expired with the next snapshot',
    steps: [aTrialSnapshot(), aTrialSnapshot({ observedAt: day(4), sourceEvent: 'noise' })],
    expected: ['expired'],
  },
  {
    name: 'canceling during the trial: expired at once',
    steps: [aTrialSnapshot(), aTrialSnapshot({ observedAt: day(1), cancelAtPeriodEnd: true })],
    expected: ['expired'],
  },
  {
    name: 'undoing a trial cancellation before the trial ends: reactivated',
    steps: [
      aTrialSnapshot(),
      aTrialSnapshot({ observedAt: day(1), cancelAtPeriodEnd: true }),
      aTrialSnapshot({ observedAt: day(2) }),
    ],
    expected: ['reactivated'],
  },
  {
    name: 'the store confirming a canceled trial ended adds nothing',
    steps: [
      aTrialSnapshot(),
      aTrialSnapshot({ observedAt: day(1), cancelAtPeriodEnd: true }),
      aTrialSnapshot({ observedAt: day(3), status: 'expired', cancelAtPeriodEnd: true }),
    ],
    expected: [],
  },
  {
    name: 'the first charge after a trial fails: payment_failed',
    steps: [
      aTrialSnapshot(),
      aSnapshot({
        observedAt: day(3),
        status: 'past_due',
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
      }),
    ],
    expected: ['payment_failed'],
  },
  {
    name: 'incomplete → trial: trial_started',
    steps: [aSnapshot({ status: 'incomplete' }), aTrialSnapshot({ observedAt: day(0.01) })],
    expected: ['trial_started'],
  },
  {
    name: 'incomplete → active: no name (first payment made)',
    steps: [aSnapshot({ status: 'incomplete' }), aSnapshot({ observedAt: day(0.01) })],
    expected: [],
  },

  // renewals and lapses
  {
    name: 'a later period end: renewed',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(30), ...nextPeriod })],
    expected: ['renewed'],
  },
  {
    name: 'a renewal observed after the old period ran out, contiguous: renewed',
    steps: [
      aSnapshot(),
      aSnapshot({ observedAt: day(31), sourceEvent: 'noise' }),
      aSnapshot({ observedAt: day(32), ...nextPeriod }),
    ],
    expected: ['renewed'],
  },
  {
    name: 'a new period after a lapse on the same subscription: resubscribed',
    steps: [
      aSnapshot(),
      aSnapshot({ observedAt: day(45), currentPeriodStart: day(45), currentPeriodEnd: day(75) }),
    ],
    expected: ['resubscribed'],
  },
  {
    name: 'expired by the store, then a new period: resubscribed',
    steps: [
      aSnapshot(),
      aSnapshot({ observedAt: day(30), status: 'expired' }),
      aSnapshot({ observedAt: day(50), currentPeriodStart: day(50), currentPeriodEnd: day(80) }),
    ],
    expected: ['resubscribed'],
  },
  {
    name: 'a period that ran out unseen: expired with the next snapshot',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(40), sourceEvent: 'noise' })],
    expected: ['expired'],
  },
  {
    name: 'the store confirming a period that already ran out adds nothing',
    steps: [
      aSnapshot(),
      aSnapshot({ observedAt: day(40), sourceEvent: 'noise' }),
      aSnapshot({ observedAt: day(41), status: 'expired' }),
    ],
    expected: [],
  },

  // payment problems
  {
    name: 'active → past_due: payment_failed',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(30), status: 'past_due', ...nextPeriod })],
    expected: ['payment_failed'],
  },
  {
    name: 'past_due → active: recovered',
    steps: [
      aSnapshot(),
      aSnapshot({ observedAt: day(30), status: 'past_due', ...nextPeriod }),
      aSnapshot({ observedAt: day(32), ...nextPeriod }),
    ],
    expected: ['recovered'],
  },
  {
    name: 'past_due → expired (retries exhausted): expired',
    steps: [
      aSnapshot({ status: 'past_due' }),
      aSnapshot({ observedAt: day(20), status: 'expired' }),
    ],
    expected: ['expired'],
  },

  // cancellation
  {
    name: 'cancelAtPeriodEnd false → true: cancel_scheduled',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(5), cancelAtPeriodEnd: true })],
    expected: ['cancel_scheduled'],
  },
  {
    name: 'cancelAtPeriodEnd true → false before the end: reactivated (same renewal date)',
    steps: [
      aSnapshot({ cancelAtPeriodEnd: true }),
      aSnapshot({ observedAt: day(5), cancelAtPeriodEnd: false }),
    ],
    expected: ['reactivated'],
  },
  {
    name: 'a canceled subscription reaching its end: expired',
    steps: [
      aSnapshot({ cancelAtPeriodEnd: true }),
      aSnapshot({ observedAt: day(30), status: 'expired', cancelAtPeriodEnd: true }),
    ],
    expected: ['expired'],
  },
  {
    name: 'coming back after a canceled period ran out: resubscribed, not reactivated',
    steps: [
      aSnapshot({ cancelAtPeriodEnd: true }),
      aSnapshot({ observedAt: day(40), currentPeriodStart: day(40), currentPeriodEnd: day(70) }),
    ],
    expected: ['resubscribed'],
  },

  // plan changes
  {
    name: 'plan rank up: upgraded (at once)',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(5), ...pro })],
    expected: ['upgraded'],
  },
  {
    name: 'an upgrade with a new period is upgraded, not renewed',
    steps: [
      aSnapshot(),
      aSnapshot({
        observedAt: day(5),
        ...pro,
        currentPeriodStart: day(5),
        currentPeriodEnd: day(35),
      }),
    ],
    expected: ['upgraded'],
  },
  {
    name: 'pendingChange appears: downgrade_scheduled',
    steps: [aSnapshot(pro), aSnapshot({ observedAt: day(5), ...pro, ...toUnlimitedAt30 })],
    expected: ['downgrade_scheduled'],
  },
  {
    name: 'pendingChange changes target before it applies: downgrade_scheduled',
    steps: [
      aSnapshot({ ...pro, interval: 'year', ...toUnlimitedAt30 }),
      aSnapshot({
        observedAt: day(5),
        ...pro,
        interval: 'year',
        pendingChange: { plan: 'unlimited', interval: 'year', effectiveAt: day(30) },
      }),
    ],
    expected: ['downgrade_scheduled'],
  },
  {
    name: 'pendingChange disappears without applying: downgrade_withdrawn',
    steps: [aSnapshot({ ...pro, ...toUnlimitedAt30 }), aSnapshot({ observedAt: day(5), ...pro })],
    expected: ['downgrade_withdrawn'],
  },
  {
    name: 'the plan becomes the pending one at renewal: renewed and downgrade_applied',
    steps: [
      aSnapshot({ ...pro, ...toUnlimitedAt30 }),
      aSnapshot({ observedAt: day(30), ...nextPeriod }),
    ],
    expected: ['renewed', 'downgrade_applied'],
  },
  {
    name: 'a pending change reaching effectiveAt before the store says so: downgrade_applied',
    steps: [
      aSnapshot({ ...pro, ...toUnlimitedAt30 }),
      aSnapshot({
        observedAt: shift(day(30), HOUR / 2),
        ...pro,
        ...toUnlimitedAt30,
        sourceEvent: 'noise',
      }),
    ],
    expected: ['downgrade_applied'],
  },
  {
    name: 'the store confirming a downgrade already applied by time: only renewed',
    steps: [
      aSnapshot({ ...pro, ...toUnlimitedAt30 }),
      aSnapshot({
        observedAt: shift(day(30), HOUR / 2),
        ...pro,
        ...toUnlimitedAt30,
        sourceEvent: 'noise',
      }),
      aSnapshot({ observedAt: shift(day(30), HOUR), ...nextPeriod }),
    ],
    expected: ['renewed'],
  },
  {
    name: 'an immediate downgrade with no schedule: downgrade_applied',
    steps: [aSnapshot(pro), aSnapshot({ observedAt: day(5) })],
    expected: ['downgrade_applied'],
  },
  {
    name: 'upgrading while a downgrade is pending: upgraded and downgrade_withdrawn',
    steps: [
      aSnapshot({
        interval: 'year',
        currentPeriodEnd: day(365),
        pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(365) },
      }),
      aSnapshot({ observedAt: day(5), ...pro, interval: 'year', currentPeriodEnd: day(365) }),
    ],
    expected: ['upgraded', 'downgrade_withdrawn'],
  },

  // refunds
  {
    name: 'the store revokes: revoked',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(5), status: 'revoked' })],
    expected: ['revoked'],
  },
  {
    name: 'a full refund of the running period (revokedThrough): revoked',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(5), revokedThrough: day(30) })],
    expected: ['revoked'],
  },
  {
    name: 'a refund reversed for the same period: recovered',
    steps: [
      aSnapshot(),
      aSnapshot({ observedAt: day(5), status: 'revoked' }),
      aSnapshot({ observedAt: day(6), sourceEvent: 'REFUND_REVERSED' }),
    ],
    expected: ['recovered'],
  },
  {
    name: 'a new purchase after a refund: resubscribed',
    steps: [
      aSnapshot(),
      aSnapshot({ observedAt: day(5), status: 'revoked' }),
      aSnapshot({ observedAt: day(10), currentPeriodStart: day(10), currentPeriodEnd: day(40) }),
    ],
    expected: ['resubscribed'],
  },

  // pause
  {
    name: 'active → paused: paused',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(30), status: 'paused' })],
    expected: ['paused'],
  },
  {
    name: 'paused → active: resumed',
    steps: [
      aSnapshot(),
      aSnapshot({ observedAt: day(30), status: 'paused' }),
      aSnapshot({ observedAt: day(45), currentPeriodStart: day(45), currentPeriodEnd: day(75) }),
    ],
    expected: ['resumed'],
  },

  // accounts
  {
    name: 'the purchase moves to another account: transferred',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(1), accountId: 'acc_2' })],
    expected: ['transferred'],
  },
  {
    name: 'linking an unlinked purchase is not a transfer',
    steps: [aSnapshot({ accountId: null }), aSnapshot({ observedAt: day(1), accountId: 'acc_1' })],
    expected: [],
  },
  {
    name: 'a snapshot without the account link is not a transfer',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(1), accountId: null })],
    expected: [],
  },

  // first sight of a subscription
  { name: 'first seen active: no name', steps: [aSnapshot()], expected: [] },
  {
    name: 'first seen incomplete: no name',
    steps: [aSnapshot({ status: 'incomplete' })],
    expected: [],
  },
  {
    name: 'first seen past_due',
    steps: [aSnapshot({ status: 'past_due' })],
    expected: ['payment_failed'],
  },
  { name: 'first seen paused', steps: [aSnapshot({ status: 'paused' })], expected: ['paused'] },
  { name: 'first seen expired', steps: [aSnapshot({ status: 'expired' })], expected: ['expired'] },
  { name: 'first seen revoked', steps: [aSnapshot({ status: 'revoked' })], expected: ['revoked'] },
  {
    name: 'first seen canceling',
    steps: [aSnapshot({ cancelAtPeriodEnd: true })],
    expected: ['cancel_scheduled'],
  },
  {
    name: 'first seen with a scheduled downgrade',
    steps: [aSnapshot({ ...pro, ...toUnlimitedAt30 })],
    expected: ['downgrade_scheduled'],
  },
  {
    name: 'first seen as a canceled trial',
    steps: [aTrialSnapshot({ cancelAtPeriodEnd: true })],
    expected: ['expired'],
  },

  // nothing happened
  {
    name: 'a newer snapshot with the same picture: no name',
    steps: [aSnapshot(), aSnapshot({ observedAt: day(2), sourceEvent: 'invoice.upcoming' })],
    expected: [],
  },
];

describe('transition: named transitions', () => {
  it.each(cases)('$name', ({ steps, expected }) => {
    expect(namesOfLast(...steps)).toEqual(expected);
  });

  it('the table names every transition of SPEC §4', () => {
    const named = new Set(cases.flatMap((c) => c.expected));
    expect([...named].sort()).toEqual([...TRANSITION_NAMES].sort());
  });

  it('lists several names in a fixed order', () => {
    const names = namesOfLast(
      aSnapshot({ ...pro, ...toUnlimitedAt30 }),
      aSnapshot({
        observedAt: day(30),
        ...nextPeriod,
        cancelAtPeriodEnd: true,
        accountId: 'acc_2',
      }),
    );
    expect(names).toEqual(['transferred', 'renewed', 'downgrade_applied', 'cancel_scheduled']);
  });
});

describe('transition: stale, duplicate and out-of-order snapshots', () => {
  it('an older snapshot never overwrites the stored one and names nothing', () => {
    const stored = transition(
      null,
      aSnapshot({ observedAt: day(30), ...nextPeriod }),
      day(30),
      policy,
    ).next;
    const result = transition(stored, aTrialSnapshot(), day(31), policy);
    expect(result).toMatchObject({
      stale: true,
      outcome: 'stale',
      transitions: [],
      created: false,
    });
    expect(result.next.latest).toEqual(stored.latest);
  });

  it('the same snapshot again is a duplicate: nothing changes', () => {
    const stored = transition(null, aSnapshot(), day(0), policy).next;
    const result = transition(stored, aSnapshot(), day(1), policy);
    expect(result).toMatchObject({ stale: true, outcome: 'duplicate', transitions: [] });
    expect(result.next).toEqual(stored);
  });

  it('a late refund (older than the stored snapshot) still revokes and is named', () => {
    const stored = stateOf(aSnapshot({ observedAt: day(6), sourceEvent: 'invoice.upcoming' }));
    const result = transition(
      stored,
      aSnapshot({ observedAt: day(5), revokedThrough: day(30), sourceEvent: 'charge.refunded' }),
      day(7),
      policy,
    );
    expect(result.stale).toBe(true);
    expect(result.next.latest).toEqual(stored.latest);
    expect(result.transitions).toEqual(['revoked']);
    expect(result.after.state).toBe('revoked');
  });

  it('a newer snapshot is applied and reported as such', () => {
    const result = transition(
      stateOf(aSnapshot()),
      aSnapshot({ observedAt: day(1), cancelAtPeriodEnd: true }),
      day(1),
      policy,
    );
    expect(result).toMatchObject({ stale: false, outcome: 'applied', created: false });
    expect(result.next.latest.cancelAtPeriodEnd).toBe(true);
  });

  it('two different snapshots of the same instant end in the same state whichever comes first', () => {
    const a = aSnapshot({ observedAt: day(30), status: 'past_due', ...nextPeriod });
    const b = aSnapshot({ observedAt: day(30), ...nextPeriod, sourceEvent: 'invoice.paid' });
    const start = stateOf(aSnapshot());
    const ab = transition(transition(start, a, day(30), policy).next, b, day(30), policy);
    const ba = transition(transition(start, b, day(30), policy).next, a, day(30), policy);
    expect(ab.next).toEqual(ba.next);
    expect(ab.next.latest.status).toBe('past_due');
    expect(ab.stale).toBe(true);
    expect(ba.stale).toBe(false);
  });

  it('a first snapshot is created', () => {
    expect(transition(null, aSnapshot(), day(0), policy)).toMatchObject({
      created: true,
      stale: false,
      outcome: 'applied',
      before: null,
    });
  });

  it('rejects a snapshot of another subscription', () => {
    expect(() =>
      transition(stateOf(aSnapshot()), aSnapshot({ storeSubscriptionId: 'sub_2' }), day(1), policy),
    ).toThrow(SubscriptionStateError);
  });
});

describe('transition: evaluation instant', () => {
  it('compares at the snapshot instant, so replaying stored events later names the same transitions', () => {
    const lifecycle = [
      aTrialSnapshot(),
      aSnapshot({
        observedAt: day(3),
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
        trialEnd: day(3),
      }),
      aSnapshot({
        observedAt: day(10),
        cancelAtPeriodEnd: true,
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
        trialEnd: day(3),
      }),
      aSnapshot({
        observedAt: day(12),
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
        trialEnd: day(3),
      }),
      aSnapshot({
        observedAt: day(33),
        currentPeriodStart: day(33),
        currentPeriodEnd: day(63),
        trialEnd: day(3),
      }),
    ];
    const replay = (now: (s: SubscriptionSnapshot) => Date): TransitionName[][] => {
      let state: SubscriptionState | null = null;
      return lifecycle.map((snapshot) => {
        const result = transition(state, snapshot, now(snapshot), policy);
        state = result.next;
        return result.transitions;
      });
    };
    const live = replay((s) => s.observedAt);
    expect(live).toEqual([
      ['trial_started'],
      ['converted'],
      ['cancel_scheduled'],
      ['reactivated'],
      ['renewed'],
    ]);
    expect(replay(() => day(800))).toEqual(live);
  });

  it('a renewal delivered days after the period end (store retries) is renewed', () => {
    const result = transition(
      stateOf(aSnapshot()),
      aSnapshot({ observedAt: day(30), ...nextPeriod, sourceEvent: 'DID_RENEW' }),
      day(33),
      policy,
    );
    expect(result.transitions).toEqual(['renewed']);
    expect(result.after).toMatchObject({ state: 'active', covered: true });
  });

  it('uses now when the store instant is in the future (clock skew)', () => {
    const result = transition(null, aSnapshot({ observedAt: day(2) }), day(1), policy);
    expect(result.at).toEqual(day(1));
    expect(result.after.at).toEqual(day(1));
  });

  it('names nothing from a past state a replay passes through', () => {
    // Stored events replayed long after: the trial is named as it was, not as expired.
    expect(transition(null, aTrialSnapshot(), day(400), policy).transitions).toEqual([
      'trial_started',
    ]);
    expect(transition(null, aSnapshot(), shift(day(30), 2 * DAY), policy).transitions).toEqual([]);
  });
});

describe('replacementTransitions (Google linkedPurchaseToken)', () => {
  const google = { store: 'google' as const };
  it('a replacement with the pending plan: downgrade_applied', () => {
    const old = stateOf(
      aSnapshot({ ...google, storeSubscriptionId: 'tok-1', ...pro, ...toUnlimitedAt30 }),
    );
    const replacement = stateOf(
      aSnapshot({
        ...google,
        storeSubscriptionId: 'tok-2',
        supersedes: 'tok-1',
        observedAt: day(30),
        ...nextPeriod,
      }),
    );
    expect(replacementTransitions(old, replacement, day(30), policy)).toEqual([
      'downgrade_applied',
    ]);
  });

  it('a replacement with a higher plan: upgraded', () => {
    const old = stateOf(aSnapshot({ ...google, storeSubscriptionId: 'tok-1' }));
    const replacement = stateOf(
      aSnapshot({
        ...google,
        storeSubscriptionId: 'tok-2',
        supersedes: 'tok-1',
        observedAt: day(5),
        ...pro,
      }),
    );
    expect(replacementTransitions(old, replacement, day(5), policy)).toEqual(['upgraded']);
  });

  it('a replacement on another account: transferred', () => {
    const old = stateOf(aSnapshot({ ...google, storeSubscriptionId: 'tok-1' }));
    const replacement = stateOf(
      aSnapshot({
        ...google,
        storeSubscriptionId: 'tok-2',
        supersedes: 'tok-1',
        observedAt: day(5),
        accountId: 'acc_2',
      }),
    );
    expect(replacementTransitions(old, replacement, day(5), policy)).toEqual(['transferred']);
  });

  it('the same plan and interval: nothing', () => {
    const old = stateOf(aSnapshot({ ...google, storeSubscriptionId: 'tok-1' }));
    const replacement = stateOf(
      aSnapshot({
        ...google,
        storeSubscriptionId: 'tok-2',
        supersedes: 'tok-1',
        observedAt: day(5),
      }),
    );
    expect(replacementTransitions(old, replacement, day(5), policy)).toEqual([]);
  });
});
