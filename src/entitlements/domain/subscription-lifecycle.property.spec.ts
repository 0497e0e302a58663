import fc from 'fast-check';
import { deriveEntitlement, type AccountEntitlement } from './derive-entitlement';
import { effectiveSubscription } from './effective-state';
import { leewayMs, planRank, type EntitlementPolicy } from './entitlement-policy';
import type { SubscriptionSnapshot, TransitionName } from './subscription-snapshot';
import {
  compareSnapshots,
  subscriptionStateToJson,
  type SubscriptionState,
} from './subscription-state';
import {
  deliveryOrderArb,
  instantArb,
  lifecycleArb,
  policyArb,
  type Lifecycle,
} from './testing/lifecycle.arbitraries';
import { DAY, SPEC_PLAN_LIMITS, T0 } from './testing/snapshot.builder';
import { TRANSITION_NAMES, transition } from './transition';

/** Folds snapshots through the state machine, as the service does on each delivery. */
function deliver(
  snapshots: readonly SubscriptionSnapshot[],
  now: Date,
  policy: EntitlementPolicy,
): { state: SubscriptionState; transitions: TransitionName[] } {
  let state: SubscriptionState | null = null;
  const transitions: TransitionName[] = [];
  for (const snapshot of snapshots) {
    const result = transition(state, snapshot, now, policy);
    transitions.push(...result.transitions);
    state = result.next;
  }
  if (state === null) throw new Error('no snapshots');
  return { state, transitions };
}

/** Every intermediate state of a lifecycle delivered in time order. */
function prefixStates(lifecycle: Lifecycle, policy: EntitlementPolicy): SubscriptionState[] {
  const states: SubscriptionState[] = [];
  let state: SubscriptionState | null = null;
  for (const snapshot of lifecycle.snapshots) {
    state = transition(state, snapshot, snapshot.observedAt, policy).next;
    states.push(state);
  }
  return states;
}

function entitlementOf(
  state: SubscriptionState,
  now: Date,
  policy: EntitlementPolicy,
  suspended = false,
): AccountEntitlement {
  return deriveEntitlement(
    [state],
    { id: state.accountId ?? 'acc_1', suspended },
    now,
    policy,
    SPEC_PLAN_LIMITS,
  );
}

/** What a caller acts on (everything but the evaluation instant). */
function decisionOf(entitlement: AccountEntitlement): Omit<AccountEntitlement, 'evaluatedAt'> {
  const { evaluatedAt: _evaluatedAt, ...rest } = entitlement;
  return rest;
}

describe('subscription lifecycle properties', () => {
  it('(a) any permutation and duplication of a lifecycle ends in the time-ordered state', () => {
    fc.assert(
      fc.property(
        lifecycleArb().chain((lifecycle) =>
          fc.tuple(
            fc.constant(lifecycle),
            deliveryOrderArb(lifecycle.snapshots.length),
            instantArb(),
            instantArb(),
            policyArb(),
          ),
        ),
        ([lifecycle, order, deliveredAt, now, policy]) => {
          const inOrder = deliver(lifecycle.snapshots, deliveredAt, policy).state;
          const shuffled = deliver(
            order.map((index) => lifecycle.snapshots[index]),
            deliveredAt,
            policy,
          ).state;
          expect(subscriptionStateToJson(shuffled)).toStrictEqual(subscriptionStateToJson(inOrder));
          expect(shuffled).toEqual(inOrder);
          expect(entitlementOf(shuffled, now, policy)).toEqual(entitlementOf(inOrder, now, policy));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('(a) a stale or repeated snapshot never overwrites the stored one; a newer one always does', () => {
    fc.assert(
      fc.property(
        lifecycleArb().chain((lifecycle) =>
          fc.tuple(fc.constant(lifecycle), deliveryOrderArb(lifecycle.snapshots.length)),
        ),
        ([lifecycle, order]) => {
          let state: SubscriptionState | null = null;
          for (const index of order) {
            const snapshot = lifecycle.snapshots[index];
            const result = transition(state, snapshot, snapshot.observedAt, policyFor());
            if (state !== null) {
              const newer = compareSnapshots(snapshot, state.latest) > 0;
              expect(result.stale).toBe(!newer);
              if (result.stale) {
                expect(result.next.latest).toEqual(state.latest);
              } else {
                expect(result.next.latest.observedAt).toEqual(snapshot.observedAt);
              }
              // A stale delivery never moves the subscription out of a revoked state etc.:
              // it can only add sticky aggregates.
              expect(result.next.firstObservedAt.getTime()).toBeLessThanOrEqual(
                state.firstObservedAt.getTime(),
              );
            }
            state = result.next;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('(a) an account with several subscriptions gets the same entitlement in any order', () => {
    const account = fc
      .tuple(
        lifecycleArb({ store: 'stripe', storeSubscriptionId: 'sub_web' }),
        lifecycleArb({ store: 'apple', storeSubscriptionId: '2000000000000001' }),
        lifecycleArb({ store: 'google', storeSubscriptionId: 'token-1' }),
      )
      .chain((lifecycles) =>
        fc.tuple(
          fc.constant(lifecycles),
          fc.tuple(...lifecycles.map((l) => deliveryOrderArb(l.snapshots.length))),
          fc.shuffledSubarray([0, 1, 2], { minLength: 3 }),
          instantArb(),
          policyArb(),
        ),
      );
    fc.assert(
      fc.property(account, ([lifecycles, orders, listOrder, now, policy]) => {
        const inOrder = lifecycles.map((l) => deliver(l.snapshots, now, policy).state);
        const shuffled = lifecycles.map(
          (l, i) =>
            deliver(
              orders[i].map((index) => l.snapshots[index]),
              now,
              policy,
            ).state,
        );
        const who = { id: 'acc_1', suspended: false };
        const expected = deriveEntitlement(inOrder, who, now, policy, SPEC_PLAN_LIMITS);
        const actual = deriveEntitlement(
          listOrder.map((i) => shuffled[i]),
          who,
          now,
          policy,
          SPEC_PLAN_LIMITS,
        );
        expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('(b) a pending downgrade never lowers limits (or the plan) before effectiveAt', () => {
    fc.assert(
      fc.property(
        lifecycleArb({ maxSteps: 18 }),
        policyArb(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (lifecycle, policy, fraction) => {
          for (const state of prefixStates(lifecycle, policy)) {
            const pending = state.latest.pendingChange;
            if (pending === null) continue;
            const from = state.latest.observedAt.getTime();
            const to = pending.effectiveAt.getTime();
            if (to <= from) continue;
            const now = new Date(Math.min(to - 1, from + Math.floor((to - from) * fraction)));
            const withPending = entitlementOf(state, now, policy);
            const withoutPending = entitlementOf(
              { ...state, latest: { ...state.latest, pendingChange: null } },
              now,
              policy,
            );
            expect(withPending.limits).toEqual(withoutPending.limits);
            expect(withPending.plan).toBe(state.latest.plan);
            if (withPending.covered && withPending.plan !== null) {
              expect(planRank(withPending.plan)).toBeGreaterThanOrEqual(planRank(pending.plan));
              expect(withPending.limits.image).toBeGreaterThanOrEqual(
                SPEC_PLAN_LIMITS[pending.plan].image,
              );
              expect(withPending.pendingChange).toEqual(pending);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('(c) a period that ended with no renewal is never covered after the leeway', () => {
    fc.assert(
      fc.property(
        lifecycleArb({ maxSteps: 18 }),
        policyArb(),
        fc.integer({ min: 0, max: 400 * DAY }),
        (lifecycle, policy, afterMs) => {
          for (const state of prefixStates(lifecycle, policy)) {
            const latest = state.latest;
            const ends = [latest.currentPeriodEnd, latest.trialEnd];
            // An operator who covers past-due subscriptions covers them through the grace period.
            if (policy.pastDueCovered) ends.push(latest.gracePeriodEnd);
            const end = Math.max(
              ...ends.filter((d): d is Date => d !== null).map((d) => d.getTime()),
            );
            const now = new Date(end + leewayMs(policy) + afterMs);
            expect(effectiveSubscription(state, now, policy).covered).toBe(false);
            expect(entitlementOf(state, now, policy).covered).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('(d) a sandbox purchase is never covered unless sandbox purchases are accepted', () => {
    fc.assert(
      fc.property(
        lifecycleArb({ sandbox: true }),
        policyArb({ acceptSandbox: false }),
        instantArb(),
        (lifecycle, policy, now) => {
          for (const state of prefixStates(lifecycle, policy)) {
            const entitlement = entitlementOf(state, now, policy);
            expect(entitlement.covered).toBe(false);
            expect(entitlement.limits).toEqual({ image: 0, video: 0 });
            expect(entitlement.subscriptions[0].excluded).toBe('sandbox');
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('(d) accepted sandbox purchases behave exactly like real ones', () => {
    fc.assert(
      fc.property(
        lifecycleArb({ sandbox: false }),
        policyArb({ acceptSandbox: true }),
        instantArb(),
        (lifecycle, policy, now) => {
          const sandboxLifecycle = lifecycle.snapshots.map((s) => ({ ...s, sandbox: true }));
          const real = deliver(lifecycle.snapshots, now, policy).state;
          const sandbox = deliver(sandboxLifecycle, now, policy).state;
          const a = entitlementOf(real, now, policy);
          const b = entitlementOf(sandbox, now, policy);
          expect(b.covered).toBe(a.covered);
          expect(b.plan).toBe(a.plan);
          expect(b.limits).toEqual(a.limits);
          expect(b.state).toBe(a.state);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('(e) an unknown product is never covered', () => {
    fc.assert(
      fc.property(
        lifecycleArb({ unknownProduct: true }),
        policyArb(),
        instantArb(),
        (lifecycle, policy, now) => {
          for (const state of prefixStates(lifecycle, policy)) {
            const entitlement = entitlementOf(state, now, policy);
            expect(entitlement.covered).toBe(false);
            expect(entitlement.limits).toEqual({ image: 0, video: 0 });
            expect(entitlement.subscriptions[0].excluded).toBe('unknown_product');
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a suspended account is never covered', () => {
    fc.assert(
      fc.property(lifecycleArb(), policyArb(), instantArb(), (lifecycle, policy, now) => {
        const state = deliver(lifecycle.snapshots, now, policy).state;
        const entitlement = entitlementOf(state, now, policy, true);
        expect(entitlement.covered).toBe(false);
        expect(entitlement.reason).toBe('suspended');
        expect(entitlement.limits).toEqual({ image: 0, video: 0 });
      }),
      { numRuns: 100 },
    );
  });

  it('the best covered plan wins among several subscriptions (paid before trial), with its limits', () => {
    const account = fc.tuple(
      lifecycleArb({ store: 'stripe', storeSubscriptionId: 'sub_web' }),
      lifecycleArb({ store: 'apple', storeSubscriptionId: '2000000000000001' }),
      instantArb(),
      policyArb(),
    );
    fc.assert(
      fc.property(account, ([web, app, now, policy]) => {
        const states = [web, app].map((l) => deliver(l.snapshots, now, policy).state);
        const own = states.filter((s) => s.accountId === 'acc_1');
        const views = own.map((s) => effectiveSubscription(s, now, policy));
        const entitlement = deriveEntitlement(
          states,
          { id: 'acc_1', suspended: false },
          now,
          policy,
          SPEC_PLAN_LIMITS,
        );
        const covered = views.filter((v) => v.covered);
        expect(entitlement.covered).toBe(covered.length > 0);
        if (covered.length > 0) {
          // A paid subscription is preferred to a trial (whose limits are narrower).
          const paid = covered.filter((v) => v.state !== 'trial');
          const pool = paid.length > 0 ? paid : covered;
          expect(entitlement.isTrial).toBe(paid.length === 0);
          const bestRank = Math.max(...pool.map((v) => planRank(v.plan)));
          expect(planRank(entitlement.plan)).toBe(bestRank);
          const plan = entitlement.plan;
          expect(plan).not.toBeNull();
          if (plan !== null) expect(entitlement.limits).toEqual(SPEC_PLAN_LIMITS[plan]);
        } else {
          expect(entitlement.limits).toEqual({ image: 0, video: 0 });
        }
        const billed = views.filter((v) => v.state === 'active' || v.state === 'past_due');
        expect(entitlement.duplicateBilling).toBe(billed.length > 1);
      }),
      { numRuns: 150 },
    );
  });

  it('an entitlement does not change before its nextChangeAt (safe to cache until then)', () => {
    fc.assert(
      fc.property(
        lifecycleArb(),
        policyArb(),
        instantArb(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (lifecycle, policy, now, fraction) => {
          const state = deliver(lifecycle.snapshots, now, policy).state;
          const first = entitlementOf(state, now, policy);
          const horizon =
            first.nextChangeAt === null ? now.getTime() + 500 * DAY : first.nextChangeAt.getTime();
          const later = new Date(
            Math.min(horizon - 1, now.getTime() + Math.floor((horizon - now.getTime()) * fraction)),
          );
          if (later.getTime() < now.getTime()) return;
          expect(decisionOf(entitlementOf(state, later, policy))).toEqual(decisionOf(first));
          if (first.nextChangeAt !== null) {
            expect(first.nextChangeAt.getTime()).toBeGreaterThan(now.getTime());
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a replay of stored snapshots in time order names the same history at any later time', () => {
    fc.assert(
      fc.property(lifecycleArb(), policyArb(), instantArb(), (lifecycle, policy, extra) => {
        const named = (now: (snapshot: SubscriptionSnapshot) => Date): TransitionName[][] => {
          let state: SubscriptionState | null = null;
          return lifecycle.snapshots.map((snapshot) => {
            const result = transition(state, snapshot, now(snapshot), policy);
            state = result.next;
            return result.transitions;
          });
        };
        const last = lifecycle.snapshots[lifecycle.snapshots.length - 1].observedAt.getTime();
        const replayAt = new Date(last + extra.getTime() - T0.getTime());
        expect(named(() => replayAt)).toEqual(named((snapshot) => snapshot.observedAt));
      }),
      { numRuns: 150 },
    );
  });

  it('generated lifecycles name every transition of SPEC §4 (the generators are realistic)', () => {
    const seen = new Set<TransitionName>();
    const samples = fc.sample(lifecycleArb({ maxSteps: 20 }), { numRuns: 600, seed: 42 });
    for (const lifecycle of samples) {
      let state: SubscriptionState | null = null;
      for (const snapshot of lifecycle.snapshots) {
        const result = transition(state, snapshot, snapshot.observedAt, policyFor());
        result.transitions.forEach((name) => seen.add(name));
        state = result.next;
      }
    }
    expect([...seen].sort()).toEqual([...TRANSITION_NAMES].sort());
  });
});

function policyFor(): EntitlementPolicy {
  return { acceptSandbox: false, expiryLeewaySeconds: 3600, pastDueCovered: false };
}
