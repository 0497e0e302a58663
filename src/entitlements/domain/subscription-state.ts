import {
  BILLING_INTERVALS,
  PLAN_IDS,
  PRIMARY_STATES,
  STORES,
  type BillingInterval,
  type PendingChange,
  type PlanId,
  type PrimaryState,
  type Store,
  type SubscriptionSnapshot,
} from './subscription-snapshot';

/**
 * The stored state of one store subscription.
 *
 * It is a join of every snapshot ever seen for the subscription, built so that the order and the
 * repetition of deliveries do not matter:
 * - `latest` is the greatest snapshot under {@link compareSnapshots} (newest `observedAt` wins,
 *   with a documented tie-break), so it does not depend on arrival order;
 * - every other field is a commutative, idempotent aggregate (max, min, or, set union, or a
 *   last-writer-wins register keyed by `observedAt`).
 * Folding any permutation, with any duplicates, of the same snapshots gives a deep-equal state.
 *
 * Nothing here depends on the clock or on the order of arrival (no "updated at", no previous
 * derived state): transitions are named by comparing the derived views of two states instead.
 *
 * Plain data: JSON-serializable apart from the `Date`s; see {@link subscriptionStateToJson} and
 * {@link subscriptionStateFromJson} for the stored form.
 */
export interface SubscriptionState {
  /** Shape version of the stored JSON. */
  version: typeof SUBSCRIPTION_STATE_VERSION;
  store: Store;
  /** Stripe subscription id, Apple originalTransactionId, Google purchase token. */
  storeSubscriptionId: string;
  /**
   * The linked account: the `accountId` of the newest snapshot that named one. A later snapshot
   * without an account never unlinks it; a later one naming another account moves it
   * (the `transferred` transition). Null while the purchase is unlinked.
   */
  accountId: string | null;
  /** `observedAt` of the snapshot that gave `accountId` (the register's ordering key). */
  accountObservedAt: Date | null;
  /** The newest accepted snapshot, normalized (see {@link normalizeSnapshot}). */
  latest: SubscriptionSnapshot;
  /** Earliest `observedAt` ever seen (min). */
  firstObservedAt: Date;
  /**
   * Latest revocation instant ever reported (max of every snapshot's `revokedThrough`): a period
   * ending at or before it is revoked whatever a later snapshot says.
   */
  revokedThrough: Date | null;
  /** Some snapshot showed a trial (status `trial` or a `trialEnd`): one trial per person. */
  hadTrial: boolean;
  /** Some snapshot showed a paid period (status `active`). */
  hadPaidPeriod: boolean;
  /** Some snapshot was a sandbox / test purchase: a test purchase never turns into a real one. */
  sandbox: boolean;
  /** Every person signal ever reported, for one-trial-per-person checks (sorted, unique). */
  trialSignals: { paymentFingerprints: string[]; deviceIds: string[] };
}

export const SUBSCRIPTION_STATE_VERSION = 1 as const;

/** What merging a snapshot did to the stored state. */
export type MergeOutcome =
  /** The snapshot is newer than the stored one and became `latest`. */
  | 'applied'
  /** Older than the stored one: `latest` is kept; only sticky aggregates may have grown. */
  | 'stale'
  /** The very same snapshot again: nothing changed. */
  | 'duplicate';

/** Thrown for malformed snapshots or stored states (a programming or data error, never retried). */
export class SubscriptionStateError extends Error {
  constructor(
    readonly code: 'invalid_snapshot' | 'invalid_subscription_state' | 'subscription_mismatch',
    message: string,
  ) {
    super(message);
    this.name = 'SubscriptionStateError';
  }
}

// ---------------------------------------------------------------------------------------------
// Snapshot normalization and ordering
// ---------------------------------------------------------------------------------------------

function copyDate(value: Date | null, field: string): Date | null {
  if (value === null) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new SubscriptionStateError(
      'invalid_snapshot',
      `snapshot field ${field} is not a valid date`,
    );
  }
  return new Date(value.getTime());
}

function requiredDate(value: Date, field: string): Date {
  const copy = copyDate(value, field);
  if (copy === null) {
    throw new SubscriptionStateError('invalid_snapshot', `snapshot field ${field} is missing`);
  }
  return copy;
}

/**
 * A defensive, canonical copy of a snapshot: fresh `Date`s, validated enums, and `trialSignals`
 * present only when it carries a value (so equal snapshots are deep-equal and serialize equally).
 * @throws SubscriptionStateError `invalid_snapshot` for invalid dates, empty ids or unknown enums.
 */
export function normalizeSnapshot(snapshot: SubscriptionSnapshot): SubscriptionSnapshot {
  if (!STORES.includes(snapshot.store)) {
    throw new SubscriptionStateError('invalid_snapshot', `unknown store ${String(snapshot.store)}`);
  }
  if (typeof snapshot.storeSubscriptionId !== 'string' || snapshot.storeSubscriptionId === '') {
    throw new SubscriptionStateError('invalid_snapshot', 'snapshot has no storeSubscriptionId');
  }
  if (!PRIMARY_STATES.includes(snapshot.status)) {
    throw new SubscriptionStateError(
      'invalid_snapshot',
      `unknown status ${String(snapshot.status)}`,
    );
  }
  if (snapshot.plan !== null && !PLAN_IDS.includes(snapshot.plan)) {
    throw new SubscriptionStateError('invalid_snapshot', `unknown plan ${String(snapshot.plan)}`);
  }
  if (snapshot.interval !== null && !BILLING_INTERVALS.includes(snapshot.interval)) {
    throw new SubscriptionStateError(
      'invalid_snapshot',
      `unknown interval ${String(snapshot.interval)}`,
    );
  }
  const pending = snapshot.pendingChange;
  if (
    pending !== null &&
    (!PLAN_IDS.includes(pending.plan) || !BILLING_INTERVALS.includes(pending.interval))
  ) {
    throw new SubscriptionStateError(
      'invalid_snapshot',
      'pendingChange names an unknown plan or interval',
    );
  }
  const normalized: SubscriptionSnapshot = {
    store: snapshot.store,
    storeSubscriptionId: snapshot.storeSubscriptionId,
    accountId: snapshot.accountId === '' ? null : snapshot.accountId,
    observedAt: requiredDate(snapshot.observedAt, 'observedAt'),
    status: snapshot.status,
    plan: snapshot.plan,
    interval: snapshot.interval,
    productId: snapshot.productId,
    currentPeriodStart: copyDate(snapshot.currentPeriodStart, 'currentPeriodStart'),
    currentPeriodEnd: copyDate(snapshot.currentPeriodEnd, 'currentPeriodEnd'),
    trialEnd: copyDate(snapshot.trialEnd, 'trialEnd'),
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
    pendingChange:
      pending === null
        ? null
        : {
            plan: pending.plan,
            interval: pending.interval,
            effectiveAt: requiredDate(pending.effectiveAt, 'pendingChange.effectiveAt'),
          },
    gracePeriodEnd: copyDate(snapshot.gracePeriodEnd, 'gracePeriodEnd'),
    sandbox: snapshot.sandbox,
    revokedThrough: copyDate(snapshot.revokedThrough, 'revokedThrough'),
    supersedes: snapshot.supersedes === '' ? null : snapshot.supersedes,
    sourceEvent: snapshot.sourceEvent,
  };
  const fingerprint = snapshot.trialSignals?.paymentFingerprint ?? null;
  const deviceId = snapshot.trialSignals?.deviceId ?? null;
  if (fingerprint !== null || deviceId !== null) {
    normalized.trialSignals = { paymentFingerprint: fingerprint, deviceId };
  }
  return normalized;
}

/**
 * Status order used only to break a tie between two different snapshots observed at the same
 * instant: the later stage of a lifecycle (and the more restrictive answer) wins.
 */
const TIE_BREAK_STATUS_RANK: Readonly<Record<PrimaryState, number>> = {
  incomplete: 0,
  trial: 1,
  active: 2,
  past_due: 3,
  paused: 4,
  expired: 5,
  revoked: 6,
};

function time(value: Date | null): number {
  return value === null ? Number.NEGATIVE_INFINITY : value.getTime();
}

function iso(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}

/** A canonical string of every field of a snapshot: equal strings mean interchangeable snapshots. */
export function snapshotFingerprint(snapshot: SubscriptionSnapshot): string {
  return JSON.stringify([
    snapshot.store,
    snapshot.storeSubscriptionId,
    snapshot.accountId,
    iso(snapshot.observedAt),
    snapshot.status,
    snapshot.plan,
    snapshot.interval,
    snapshot.productId,
    iso(snapshot.currentPeriodStart),
    iso(snapshot.currentPeriodEnd),
    iso(snapshot.trialEnd),
    snapshot.cancelAtPeriodEnd,
    snapshot.pendingChange === null
      ? null
      : [
          snapshot.pendingChange.plan,
          snapshot.pendingChange.interval,
          iso(snapshot.pendingChange.effectiveAt),
        ],
    iso(snapshot.gracePeriodEnd),
    snapshot.sandbox,
    iso(snapshot.revokedThrough),
    snapshot.supersedes,
    snapshot.trialSignals?.paymentFingerprint ?? null,
    snapshot.trialSignals?.deviceId ?? null,
    snapshot.sourceEvent,
  ]);
}

/**
 * Total order of snapshots of one subscription; the greatest is the one to keep.
 *
 * 1. later `observedAt` wins;
 * 2. same instant: the later `currentPeriodEnd` wins (a lifecycle only moves forward; unknown is
 *    lowest);
 * 3. then the later lifecycle stage wins: incomplete < trial < active < past_due < paused <
 *    expired < revoked (the more restrictive answer, when two pictures of one second disagree);
 * 4. then a scheduled cancellation wins over none (again the more restrictive answer);
 * 5. then the greater {@link snapshotFingerprint} wins: arbitrary but deterministic, so that only
 *    identical snapshots compare equal.
 *
 * Returns a negative number when `a` orders before `b`, positive when after, 0 when identical.
 */
export function compareSnapshots(a: SubscriptionSnapshot, b: SubscriptionSnapshot): number {
  const byObserved = a.observedAt.getTime() - b.observedAt.getTime();
  if (byObserved !== 0) return Math.sign(byObserved);
  const aEnd = time(a.currentPeriodEnd);
  const bEnd = time(b.currentPeriodEnd);
  if (aEnd !== bEnd) return aEnd < bEnd ? -1 : 1;
  const byStatus = TIE_BREAK_STATUS_RANK[a.status] - TIE_BREAK_STATUS_RANK[b.status];
  if (byStatus !== 0) return Math.sign(byStatus);
  if (a.cancelAtPeriodEnd !== b.cancelAtPeriodEnd) return a.cancelAtPeriodEnd ? 1 : -1;
  const aKey = snapshotFingerprint(a);
  const bKey = snapshotFingerprint(b);
  if (aKey === bKey) return 0;
  return aKey < bKey ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------
// The join
// ---------------------------------------------------------------------------------------------

function maxDate(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b === null ? null : new Date(b.getTime());
  if (b === null) return new Date(a.getTime());
  return new Date(Math.max(a.getTime(), b.getTime()));
}

function minDate(a: Date, b: Date): Date {
  return new Date(Math.min(a.getTime(), b.getTime()));
}

function sortedUnion(values: readonly string[], extra: string | null | undefined): string[] {
  const set = new Set(values);
  if (extra !== null && extra !== undefined && extra !== '') set.add(extra);
  return [...set].sort();
}

function showsTrial(snapshot: SubscriptionSnapshot): boolean {
  return snapshot.status === 'trial' || snapshot.trialEnd !== null;
}

function showsPaidPeriod(snapshot: SubscriptionSnapshot): boolean {
  return snapshot.status === 'active';
}

/** The state of a subscription seen through one snapshot only. */
export function stateFromSnapshot(snapshot: SubscriptionSnapshot): SubscriptionState {
  const latest = normalizeSnapshot(snapshot);
  return {
    version: SUBSCRIPTION_STATE_VERSION,
    store: latest.store,
    storeSubscriptionId: latest.storeSubscriptionId,
    accountId: latest.accountId,
    accountObservedAt: latest.accountId === null ? null : new Date(latest.observedAt.getTime()),
    latest,
    firstObservedAt: new Date(latest.observedAt.getTime()),
    revokedThrough:
      latest.revokedThrough === null ? null : new Date(latest.revokedThrough.getTime()),
    hadTrial: showsTrial(latest),
    hadPaidPeriod: showsPaidPeriod(latest),
    sandbox: latest.sandbox,
    trialSignals: {
      paymentFingerprints: sortedUnion([], latest.trialSignals?.paymentFingerprint),
      deviceIds: sortedUnion([], latest.trialSignals?.deviceId),
    },
  };
}

/**
 * Adds one snapshot to a stored state (the fold step). Commutative, associative and idempotent
 * over snapshots: see {@link SubscriptionState}. Never mutates its arguments.
 *
 * @throws SubscriptionStateError `subscription_mismatch` when the snapshot is of another
 *   subscription, `invalid_snapshot` when it is malformed.
 */
export function mergeSnapshot(
  previous: SubscriptionState | null,
  snapshot: SubscriptionSnapshot,
): { state: SubscriptionState; outcome: MergeOutcome } {
  const single = stateFromSnapshot(snapshot);
  if (previous === null) return { state: single, outcome: 'applied' };
  if (
    previous.store !== single.store ||
    previous.storeSubscriptionId !== single.storeSubscriptionId
  ) {
    throw new SubscriptionStateError(
      'subscription_mismatch',
      `snapshot of ${single.store}:${single.storeSubscriptionId} merged into ` +
        `${previous.store}:${previous.storeSubscriptionId}`,
    );
  }
  const order = compareSnapshots(single.latest, previous.latest);
  const outcome: MergeOutcome = order > 0 ? 'applied' : order === 0 ? 'duplicate' : 'stale';
  return { state: joinStates(previous, single), outcome };
}

/**
 * The join of two states of the same subscription (the state of the union of their snapshots).
 * Exposed for rebuilds that merge partial folds; {@link mergeSnapshot} is the usual entry point.
 */
export function joinStates(a: SubscriptionState, b: SubscriptionState): SubscriptionState {
  if (a.store !== b.store || a.storeSubscriptionId !== b.storeSubscriptionId) {
    throw new SubscriptionStateError(
      'subscription_mismatch',
      `cannot join ${a.store}:${a.storeSubscriptionId} with ${b.store}:${b.storeSubscriptionId}`,
    );
  }
  const latest = compareSnapshots(a.latest, b.latest) >= 0 ? a.latest : b.latest;
  const account = pickAccount(a, b);
  return {
    version: SUBSCRIPTION_STATE_VERSION,
    store: a.store,
    storeSubscriptionId: a.storeSubscriptionId,
    accountId: account.accountId,
    accountObservedAt:
      account.accountObservedAt === null ? null : new Date(account.accountObservedAt.getTime()),
    latest: normalizeSnapshot(latest),
    firstObservedAt: minDate(a.firstObservedAt, b.firstObservedAt),
    revokedThrough: maxDate(a.revokedThrough, b.revokedThrough),
    hadTrial: a.hadTrial || b.hadTrial,
    hadPaidPeriod: a.hadPaidPeriod || b.hadPaidPeriod,
    sandbox: a.sandbox || b.sandbox,
    trialSignals: {
      paymentFingerprints: [
        ...new Set([...a.trialSignals.paymentFingerprints, ...b.trialSignals.paymentFingerprints]),
      ].sort(),
      deviceIds: [...new Set([...a.trialSignals.deviceIds, ...b.trialSignals.deviceIds])].sort(),
    },
  };
}

/**
 * Last-writer-wins register over non-null accounts, ordered by (`observedAt`, account id): two
 * snapshots of the same instant naming different accounts resolve to the greater id, whatever
 * the order they arrive in.
 */
function pickAccount(
  a: SubscriptionState,
  b: SubscriptionState,
): Pick<SubscriptionState, 'accountId' | 'accountObservedAt'> {
  if (a.accountId === null || a.accountObservedAt === null) return b;
  if (b.accountId === null || b.accountObservedAt === null) return a;
  const byTime = a.accountObservedAt.getTime() - b.accountObservedAt.getTime();
  if (byTime !== 0) return byTime > 0 ? a : b;
  return a.accountId >= b.accountId ? a : b;
}

/** Folds snapshots of one subscription in the given order; null for none. */
export function foldSnapshots(
  snapshots: Iterable<SubscriptionSnapshot>,
  initial: SubscriptionState | null = null,
): SubscriptionState | null {
  let state = initial;
  for (const snapshot of snapshots) state = mergeSnapshot(state, snapshot).state;
  return state;
}

// ---------------------------------------------------------------------------------------------
// Stored (JSON) form
// ---------------------------------------------------------------------------------------------

/** A snapshot with ISO-8601 strings for dates. */
export type SubscriptionSnapshotJson = Omit<
  SubscriptionSnapshot,
  | 'observedAt'
  | 'currentPeriodStart'
  | 'currentPeriodEnd'
  | 'trialEnd'
  | 'pendingChange'
  | 'gracePeriodEnd'
  | 'revokedThrough'
> & {
  observedAt: string;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  trialEnd: string | null;
  pendingChange: { plan: PlanId; interval: BillingInterval; effectiveAt: string } | null;
  gracePeriodEnd: string | null;
  revokedThrough: string | null;
};

/** {@link SubscriptionState} with ISO-8601 strings for dates: what a JSON column holds. */
export type SubscriptionStateJson = Omit<
  SubscriptionState,
  'accountObservedAt' | 'latest' | 'firstObservedAt' | 'revokedThrough'
> & {
  accountObservedAt: string | null;
  latest: SubscriptionSnapshotJson;
  firstObservedAt: string;
  revokedThrough: string | null;
};

/** Snapshot → JSON-safe object (ISO dates). */
export function snapshotToJson(snapshot: SubscriptionSnapshot): SubscriptionSnapshotJson {
  const json: SubscriptionSnapshotJson = {
    store: snapshot.store,
    storeSubscriptionId: snapshot.storeSubscriptionId,
    accountId: snapshot.accountId,
    observedAt: snapshot.observedAt.toISOString(),
    status: snapshot.status,
    plan: snapshot.plan,
    interval: snapshot.interval,
    productId: snapshot.productId,
    currentPeriodStart: iso(snapshot.currentPeriodStart),
    currentPeriodEnd: iso(snapshot.currentPeriodEnd),
    trialEnd: iso(snapshot.trialEnd),
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
    pendingChange:
      snapshot.pendingChange === null
        ? null
        : {
            plan: snapshot.pendingChange.plan,
            interval: snapshot.pendingChange.interval,
            effectiveAt: snapshot.pendingChange.effectiveAt.toISOString(),
          },
    gracePeriodEnd: iso(snapshot.gracePeriodEnd),
    sandbox: snapshot.sandbox,
    revokedThrough: iso(snapshot.revokedThrough),
    supersedes: snapshot.supersedes,
    sourceEvent: snapshot.sourceEvent,
  };
  if (snapshot.trialSignals !== undefined) {
    json.trialSignals = {
      paymentFingerprint: snapshot.trialSignals.paymentFingerprint ?? null,
      deviceId: snapshot.trialSignals.deviceId ?? null,
    };
  }
  return json;
}

/** State → JSON-safe object (ISO dates), for a JSON/JSONB column. */
export function subscriptionStateToJson(state: SubscriptionState): SubscriptionStateJson {
  return {
    version: state.version,
    store: state.store,
    storeSubscriptionId: state.storeSubscriptionId,
    accountId: state.accountId,
    accountObservedAt: iso(state.accountObservedAt),
    latest: snapshotToJson(state.latest),
    firstObservedAt: state.firstObservedAt.toISOString(),
    revokedThrough: iso(state.revokedThrough),
    hadTrial: state.hadTrial,
    hadPaidPeriod: state.hadPaidPeriod,
    sandbox: state.sandbox,
    trialSignals: {
      paymentFingerprints: [...state.trialSignals.paymentFingerprints],
      deviceIds: [...state.trialSignals.deviceIds],
    },
  };
}

type JsonObject = Record<string, unknown>;

function invalid(path: string, what: string): SubscriptionStateError {
  return new SubscriptionStateError('invalid_subscription_state', `${path}: ${what}`);
}

function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path, 'expected an object');
  }
  return value as JsonObject;
}

function readString(obj: JsonObject, key: string, path: string): string {
  const value = obj[key];
  if (typeof value !== 'string') throw invalid(`${path}.${key}`, 'expected a string');
  return value;
}

function readNullableString(obj: JsonObject, key: string, path: string): string | null {
  const value = obj[key];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw invalid(`${path}.${key}`, 'expected a string or null');
  return value;
}

function readBoolean(obj: JsonObject, key: string, path: string): boolean {
  const value = obj[key];
  if (typeof value !== 'boolean') throw invalid(`${path}.${key}`, 'expected a boolean');
  return value;
}

function parseDate(value: unknown, path: string): Date {
  if (typeof value !== 'string' && !(value instanceof Date)) {
    throw invalid(path, 'expected an ISO-8601 date');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalid(path, 'expected an ISO-8601 date');
  return date;
}

function readDate(obj: JsonObject, key: string, path: string): Date {
  return parseDate(obj[key], `${path}.${key}`);
}

function readNullableDate(obj: JsonObject, key: string, path: string): Date | null {
  const value = obj[key];
  if (value === null || value === undefined) return null;
  return parseDate(value, `${path}.${key}`);
}

function readEnum<T extends string>(
  obj: JsonObject,
  key: string,
  allowed: readonly T[],
  path: string,
): T {
  const value = obj[key];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`${path}.${key}`, `expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function readNullableEnum<T extends string>(
  obj: JsonObject,
  key: string,
  allowed: readonly T[],
  path: string,
): T | null {
  if (obj[key] === null || obj[key] === undefined) return null;
  return readEnum(obj, key, allowed, path);
}

function readStringList(obj: JsonObject, key: string, path: string): string[] {
  const value = obj[key];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalid(`${path}.${key}`, 'expected a list of strings');
  }
  return [...new Set(value as string[])].sort();
}

/** Parses a stored snapshot (ISO or `Date` values accepted). */
export function snapshotFromJson(value: unknown, path = 'snapshot'): SubscriptionSnapshot {
  const obj = asObject(value, path);
  let pendingChange: PendingChange | null = null;
  if (obj.pendingChange !== null && obj.pendingChange !== undefined) {
    const pending = asObject(obj.pendingChange, `${path}.pendingChange`);
    pendingChange = {
      plan: readEnum(pending, 'plan', PLAN_IDS, `${path}.pendingChange`),
      interval: readEnum(pending, 'interval', BILLING_INTERVALS, `${path}.pendingChange`),
      effectiveAt: readDate(pending, 'effectiveAt', `${path}.pendingChange`),
    };
  }
  const snapshot: SubscriptionSnapshot = {
    store: readEnum(obj, 'store', STORES, path),
    storeSubscriptionId: readString(obj, 'storeSubscriptionId', path),
    accountId: readNullableString(obj, 'accountId', path),
    observedAt: readDate(obj, 'observedAt', path),
    status: readEnum(obj, 'status', PRIMARY_STATES, path),
    plan: readNullableEnum(obj, 'plan', PLAN_IDS, path),
    interval: readNullableEnum(obj, 'interval', BILLING_INTERVALS, path),
    productId: readString(obj, 'productId', path),
    currentPeriodStart: readNullableDate(obj, 'currentPeriodStart', path),
    currentPeriodEnd: readNullableDate(obj, 'currentPeriodEnd', path),
    trialEnd: readNullableDate(obj, 'trialEnd', path),
    cancelAtPeriodEnd: readBoolean(obj, 'cancelAtPeriodEnd', path),
    pendingChange,
    gracePeriodEnd: readNullableDate(obj, 'gracePeriodEnd', path),
    sandbox: readBoolean(obj, 'sandbox', path),
    revokedThrough: readNullableDate(obj, 'revokedThrough', path),
    supersedes: readNullableString(obj, 'supersedes', path),
    sourceEvent: readString(obj, 'sourceEvent', path),
  };
  if (obj.trialSignals !== null && obj.trialSignals !== undefined) {
    const signals = asObject(obj.trialSignals, `${path}.trialSignals`);
    snapshot.trialSignals = {
      paymentFingerprint: readNullableString(signals, 'paymentFingerprint', `${path}.trialSignals`),
      deviceId: readNullableString(signals, 'deviceId', `${path}.trialSignals`),
    };
  }
  try {
    return normalizeSnapshot(snapshot);
  } catch (error) {
    if (error instanceof SubscriptionStateError) throw invalid(path, error.message);
    throw error;
  }
}

/**
 * Parses what {@link subscriptionStateToJson} produced (after a JSON round trip, or as a JSONB
 * column comes back from the driver).
 * @throws SubscriptionStateError `invalid_subscription_state` naming the first bad field.
 */
export function subscriptionStateFromJson(value: unknown): SubscriptionState {
  const path = 'state';
  const obj = asObject(value, path);
  if (obj.version !== SUBSCRIPTION_STATE_VERSION) {
    throw invalid(`${path}.version`, `expected ${SUBSCRIPTION_STATE_VERSION}`);
  }
  const latest = snapshotFromJson(obj.latest, `${path}.latest`);
  const store = readEnum(obj, 'store', STORES, path);
  const storeSubscriptionId = readString(obj, 'storeSubscriptionId', path);
  if (latest.store !== store || latest.storeSubscriptionId !== storeSubscriptionId) {
    throw invalid(`${path}.latest`, 'belongs to another subscription');
  }
  const accountId = readNullableString(obj, 'accountId', path);
  const accountObservedAt = readNullableDate(obj, 'accountObservedAt', path);
  if ((accountId === null) !== (accountObservedAt === null)) {
    throw invalid(`${path}.accountObservedAt`, 'must be set exactly when accountId is');
  }
  const signals = asObject(obj.trialSignals, `${path}.trialSignals`);
  return {
    version: SUBSCRIPTION_STATE_VERSION,
    store,
    storeSubscriptionId,
    accountId,
    accountObservedAt,
    latest,
    firstObservedAt: readDate(obj, 'firstObservedAt', path),
    revokedThrough: readNullableDate(obj, 'revokedThrough', path),
    hadTrial: readBoolean(obj, 'hadTrial', path),
    hadPaidPeriod: readBoolean(obj, 'hadPaidPeriod', path),
    sandbox: readBoolean(obj, 'sandbox', path),
    trialSignals: {
      paymentFingerprints: readStringList(signals, 'paymentFingerprints', `${path}.trialSignals`),
      deviceIds: readStringList(signals, 'deviceIds', `${path}.trialSignals`),
    },
  };
}
