import type { PrimaryState, SubscriptionSnapshot } from './subscription-snapshot';
import {
  SubscriptionStateError,
  compareSnapshots,
  foldSnapshots,
  joinStates,
  mergeSnapshot,
  normalizeSnapshot,
  stateFromSnapshot,
  subscriptionStateFromJson,
  subscriptionStateToJson,
} from './subscription-state';
import { T0, aSnapshot, aTrialSnapshot, day, shift, stateOf } from './testing/snapshot.builder';

describe('normalizeSnapshot', () => {
  it('copies dates so later changes to the input do not leak into the state', () => {
    const input = aSnapshot();
    const normalized = normalizeSnapshot(input);
    input.observedAt.setTime(0);
    expect(normalized.observedAt).toEqual(T0);
  });

  it('keeps trialSignals only when they carry a value', () => {
    expect(normalizeSnapshot(aSnapshot({ trialSignals: {} }))).not.toHaveProperty('trialSignals');
    expect(
      normalizeSnapshot(aSnapshot({ trialSignals: { paymentFingerprint: null, deviceId: null } })),
    ).not.toHaveProperty('trialSignals');
    expect(
      normalizeSnapshot(aSnapshot({ trialSignals: { deviceId: 'dev-1' } })).trialSignals,
    ).toEqual({
      paymentFingerprint: null,
      deviceId: 'dev-1',
    });
  });

  const malformed: [string, Partial<SubscriptionSnapshot>][] = [
    ['an invalid observedAt', { observedAt: new Date('nope') }],
    ['an invalid currentPeriodEnd', { currentPeriodEnd: new Date(Number.NaN) }],
    ['an empty storeSubscriptionId', { storeSubscriptionId: '' }],
    ['an unknown status', { status: 'lapsed' as PrimaryState }],
    [
      'a pending change with an invalid effectiveAt',
      { pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: new Date('x') } },
    ],
  ];
  it.each(malformed)('rejects %s', (_label, overrides) => {
    expect(() => normalizeSnapshot(aSnapshot(overrides))).toThrow(SubscriptionStateError);
  });
});

describe('compareSnapshots (ordering and tie-break)', () => {
  const base = aSnapshot();
  const cases: [string, SubscriptionSnapshot, SubscriptionSnapshot][] = [
    ['a later observedAt wins', aSnapshot({ observedAt: shift(T0, 1) }), base],
    [
      'a later observedAt wins even over a later period',
      aSnapshot({ observedAt: shift(T0, 1), currentPeriodEnd: day(30) }),
      aSnapshot({ currentPeriodEnd: day(60) }),
    ],
    ['same instant: the later period end wins', aSnapshot({ currentPeriodEnd: day(60) }), base],
    [
      'same instant: a known period end wins over none',
      base,
      aSnapshot({ currentPeriodEnd: null }),
    ],
    ['same instant and period: active beats trial', base, aSnapshot({ status: 'trial' })],
    ['same instant and period: past_due beats active', aSnapshot({ status: 'past_due' }), base],
    [
      'same instant and period: paused beats past_due',
      aSnapshot({ status: 'paused' }),
      aSnapshot({ status: 'past_due' }),
    ],
    [
      'same instant and period: expired beats paused',
      aSnapshot({ status: 'expired' }),
      aSnapshot({ status: 'paused' }),
    ],
    [
      'same instant and period: revoked beats expired',
      aSnapshot({ status: 'revoked' }),
      aSnapshot({ status: 'expired' }),
    ],
    [
      'same instant and period: trial beats incomplete',
      aSnapshot({ status: 'trial' }),
      aSnapshot({ status: 'incomplete' }),
    ],
    [
      'same instant, period and status: a scheduled cancellation wins',
      aSnapshot({ cancelAtPeriodEnd: true }),
      base,
    ],
    [
      'otherwise the greater canonical form wins (deterministic)',
      aSnapshot({ sourceEvent: 'invoice.paid' }),
      aSnapshot({ sourceEvent: 'customer.subscription.updated' }),
    ],
  ];

  it.each(cases)('%s', (_label, winner, loser) => {
    expect(compareSnapshots(winner, loser)).toBeGreaterThan(0);
    expect(compareSnapshots(loser, winner)).toBeLessThan(0);
    expect(stateOf(loser, winner).latest).toEqual(normalizeSnapshot(winner));
    expect(stateOf(winner, loser).latest).toEqual(normalizeSnapshot(winner));
  });

  it('identical snapshots compare equal', () => {
    expect(compareSnapshots(aSnapshot(), aSnapshot())).toBe(0);
  });
});

describe('mergeSnapshot', () => {
  it('applies a newer snapshot', () => {
    const first = stateOf(aSnapshot());
    const { state, outcome } = mergeSnapshot(
      first,
      aSnapshot({ observedAt: day(1), status: 'past_due' }),
    );
    expect(outcome).toBe('applied');
    expect(state.latest.status).toBe('past_due');
  });

  it('keeps the stored snapshot when an older one arrives (stale)', () => {
    const stored = stateOf(aSnapshot({ observedAt: day(2), status: 'expired' }));
    const { state, outcome } = mergeSnapshot(stored, aSnapshot({ observedAt: day(1) }));
    expect(outcome).toBe('stale');
    expect(state.latest).toEqual(stored.latest);
    // Only the commutative aggregates may move: the first observation, and the older
    // snapshot shows a paid period the stored one did not.
    const aggregatesAside = { firstObservedAt: null, hadPaidPeriod: null };
    expect({ ...state, ...aggregatesAside }).toEqual({ ...stored, ...aggregatesAside });
    expect(state.firstObservedAt).toEqual(day(1));
    expect(stored.hadPaidPeriod).toBe(false);
    expect(state.hadPaidPeriod).toBe(true);
  });

  it('reports a repeated snapshot as a duplicate and changes nothing', () => {
    const stored = stateOf(aSnapshot());
    const { state, outcome } = mergeSnapshot(stored, aSnapshot());
    expect(outcome).toBe('duplicate');
    expect(state).toEqual(stored);
  });

  it('still takes a sticky revocation from a stale snapshot', () => {
    const stored = stateOf(aSnapshot({ observedAt: day(3) }));
    const { state, outcome } = mergeSnapshot(
      stored,
      aSnapshot({ observedAt: day(2), revokedThrough: day(30), sourceEvent: 'charge.refunded' }),
    );
    expect(outcome).toBe('stale');
    expect(state.latest).toEqual(stored.latest);
    expect(state.revokedThrough).toEqual(day(30));
  });

  it('keeps the greatest revocation instant', () => {
    const state = stateOf(
      aSnapshot({ observedAt: day(1), revokedThrough: day(30) }),
      aSnapshot({ observedAt: day(2), revokedThrough: day(10) }),
    );
    expect(state.revokedThrough).toEqual(day(30));
  });

  it('rejects a snapshot of another subscription', () => {
    expect(() =>
      mergeSnapshot(stateOf(aSnapshot()), aSnapshot({ storeSubscriptionId: 'sub_2' })),
    ).toThrow(expect.objectContaining({ code: 'subscription_mismatch' }));
    expect(() => mergeSnapshot(stateOf(aSnapshot()), aSnapshot({ store: 'apple' }))).toThrow(
      SubscriptionStateError,
    );
  });

  it('remembers a trial, a paid period and sandbox for good', () => {
    const state = stateOf(
      aTrialSnapshot({ sandbox: true }),
      aSnapshot({ observedAt: day(3), trialEnd: null, status: 'active' }),
      aSnapshot({ observedAt: day(40), trialEnd: null, status: 'expired' }),
    );
    expect(state).toMatchObject({ hadTrial: true, hadPaidPeriod: true, sandbox: true });
    expect(stateOf(aSnapshot({ status: 'past_due' }))).toMatchObject({
      hadTrial: false,
      hadPaidPeriod: false,
      sandbox: false,
    });
  });

  it('collects every person signal, sorted and unique', () => {
    const state = stateOf(
      aTrialSnapshot({ trialSignals: { paymentFingerprint: 'fp-b', deviceId: 'dev-1' } }),
      aSnapshot({ observedAt: day(1), trialSignals: { paymentFingerprint: 'fp-a' } }),
      aSnapshot({ observedAt: day(2), trialSignals: { paymentFingerprint: 'fp-b' } }),
    );
    expect(state.trialSignals).toEqual({
      paymentFingerprints: ['fp-a', 'fp-b'],
      deviceIds: ['dev-1'],
    });
  });

  it('tracks the first observation', () => {
    const state = stateOf(aSnapshot({ observedAt: day(5) }), aSnapshot({ observedAt: day(1) }));
    expect(state.firstObservedAt).toEqual(day(1));
  });
});

describe('account link (last writer wins over non-null accounts)', () => {
  it('a later snapshot without an account does not unlink', () => {
    const state = stateOf(
      aSnapshot({ accountId: 'acc_1' }),
      aSnapshot({ observedAt: day(1), accountId: null }),
    );
    expect(state.accountId).toBe('acc_1');
    expect(state.accountObservedAt).toEqual(T0);
  });

  it('an unlinked purchase is linked by a later (or older) snapshot naming the account', () => {
    const linkedLater = stateOf(
      aSnapshot({ accountId: null }),
      aSnapshot({ observedAt: day(1), accountId: 'acc_1' }),
    );
    expect(linkedLater.accountId).toBe('acc_1');
    const linkedByOlder = stateOf(
      aSnapshot({ observedAt: day(1), accountId: null }),
      aSnapshot({ accountId: 'acc_1' }),
    );
    expect(linkedByOlder.accountId).toBe('acc_1');
    expect(stateOf(aSnapshot({ accountId: null })).accountId).toBeNull();
  });

  it('the newest named account wins in any order', () => {
    const a = aSnapshot({ accountId: 'acc_1' });
    const b = aSnapshot({ observedAt: day(1), accountId: 'acc_2' });
    expect(stateOf(a, b).accountId).toBe('acc_2');
    expect(stateOf(b, a).accountId).toBe('acc_2');
  });

  it('two accounts named at the same instant resolve to the greater id in any order', () => {
    const a = aSnapshot({ accountId: 'acc_1', sourceEvent: 'x' });
    const b = aSnapshot({ accountId: 'acc_2', sourceEvent: 'y' });
    expect(stateOf(a, b).accountId).toBe('acc_2');
    expect(stateOf(b, a).accountId).toBe('acc_2');
  });
});

describe('joinStates and foldSnapshots', () => {
  it('joining two partial folds equals folding everything', () => {
    const snapshots = [
      aTrialSnapshot(),
      aSnapshot({ observedAt: day(3), currentPeriodStart: day(3), currentPeriodEnd: day(33) }),
      aSnapshot({ observedAt: day(4), revokedThrough: day(33), accountId: null }),
      aSnapshot({ observedAt: day(5), status: 'expired', accountId: 'acc_2' }),
    ];
    const whole = stateOf(...snapshots);
    const joined = joinStates(
      stateOf(snapshots[3], snapshots[0]),
      stateOf(snapshots[2], snapshots[1]),
    );
    expect(joined).toEqual(whole);
  });

  it('folds nothing to null', () => {
    expect(foldSnapshots([])).toBeNull();
  });
});

describe('stored JSON form', () => {
  const state = stateOf(
    aTrialSnapshot({ trialSignals: { paymentFingerprint: 'fp-1' } }),
    aSnapshot({
      observedAt: day(3),
      plan: 'unlimited_pro',
      pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: day(30) },
      gracePeriodEnd: day(37),
      revokedThrough: day(2),
      supersedes: 'old-token',
    }),
  );

  it('round-trips through JSON text', () => {
    const text = JSON.stringify(subscriptionStateToJson(state));
    const parsed = subscriptionStateFromJson(JSON.parse(text));
    expect(parsed).toEqual(state);
    expect(parsed.latest.observedAt).toBeInstanceOf(Date);
    expect(parsed.latest.pendingChange?.effectiveAt).toEqual(day(30));
  });

  it('holds only JSON values', () => {
    const json = subscriptionStateToJson(state);
    expect(JSON.parse(JSON.stringify(json))).toStrictEqual(json);
    expect(json.latest.observedAt).toBe(day(3).toISOString());
  });

  it('is the same for the single-snapshot constructor and a fold of one', () => {
    expect(stateFromSnapshot(aSnapshot())).toEqual(stateOf(aSnapshot()));
  });

  const corruptions: [string, (json: Record<string, unknown>) => void][] = [
    ['a wrong version', (json) => (json.version = 2)],
    ['a missing latest', (json) => delete json.latest],
    ['a bad date', (json) => (json.firstObservedAt = 'yesterday')],
    ['an unknown store', (json) => (json.store = 'amazon')],
    ['an account without its instant', (json) => (json.accountObservedAt = null)],
    ['a latest of another subscription', (json) => (json.storeSubscriptionId = 'other')],
    [
      'bad trial signals',
      (json) => (json.trialSignals = { paymentFingerprints: [1], deviceIds: [] }),
    ],
  ];
  it.each(corruptions)('rejects %s', (_label, corrupt) => {
    const json = JSON.parse(JSON.stringify(subscriptionStateToJson(state))) as Record<
      string,
      unknown
    >;
    corrupt(json);
    expect(() => subscriptionStateFromJson(json)).toThrow(
      expect.objectContaining({ code: 'invalid_subscription_state' }),
    );
  });

  it('rejects a stored snapshot with an unknown status', () => {
    const json = JSON.parse(JSON.stringify(subscriptionStateToJson(state))) as {
      latest: Record<string, unknown>;
    };
    json.latest.status = 'lapsed';
    expect(() => subscriptionStateFromJson(json)).toThrow(/state\.latest\.status/);
  });
});
