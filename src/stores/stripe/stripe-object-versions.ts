/**
 * Ordering of the versions of one Stripe object, and the observation time of a snapshot combined
 * from several objects. Pure: the local mirror keeps, for each object, the greatest version under
 * `compareObjectVersions`, so what it holds does not depend on the order events arrive in.
 */

export interface ObjectVersion {
  observedAt: Date;
  data: Record<string, unknown>;
}

/** Later lifecycle stage first when two versions of a subscription share one second. */
const SUBSCRIPTION_STATUS_RANK: Readonly<Record<string, number>> = {
  incomplete: 0,
  trialing: 1,
  active: 2,
  past_due: 3,
  unpaid: 4,
  paused: 5,
  canceled: 6,
  incomplete_expired: 7,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function subscriptionPeriodEnd(data: Record<string, unknown>): number {
  const items = isRecord(data.items) && Array.isArray(data.items.data) ? data.items.data : [];
  let end = Number.NEGATIVE_INFINITY;
  for (const item of items) {
    if (isRecord(item) && typeof item.current_period_end === 'number') {
      end = Math.max(end, item.current_period_end);
    }
  }
  return end;
}

/** JSON with sorted keys: equal objects give equal strings whatever their key order. */
export function canonicalJson(value: unknown): string {
  // SDK values such as Decimal serialize through toJSON, as on the wire.
  const json = (value as { toJSON?: unknown } | null)?.toJSON;
  if (typeof json === 'function') return canonicalJson(json.call(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Total order of two versions of the same Stripe object; positive when `a` is the one to keep.
 * Later observation wins; within one second (Stripe's resolution) a subscription that has moved
 * further (later period end, later lifecycle stage, cancellation scheduled) wins; then the
 * canonical JSON decides, arbitrary but deterministic.
 */
export function compareObjectVersions(a: ObjectVersion, b: ObjectVersion): number {
  const byTime = a.observedAt.getTime() - b.observedAt.getTime();
  if (byTime !== 0) return Math.sign(byTime);
  if (a.data.object === 'subscription' && b.data.object === 'subscription') {
    const byEnd = subscriptionPeriodEnd(a.data) - subscriptionPeriodEnd(b.data);
    if (byEnd !== 0 && Number.isFinite(byEnd)) return Math.sign(byEnd);
    const rank = (d: Record<string, unknown>): number =>
      SUBSCRIPTION_STATUS_RANK[String(d.status)] ?? -1;
    const byStatus = rank(a.data) - rank(b.data);
    if (byStatus !== 0) return Math.sign(byStatus);
    const cancels = (d: Record<string, unknown>): number =>
      d.cancel_at_period_end === true || typeof d.cancel_at === 'number' ? 1 : 0;
    const byCancel = cancels(a.data) - cancels(b.data);
    if (byCancel !== 0) return byCancel;
  }
  const aKey = canonicalJson(a.data);
  const bKey = canonicalJson(b.data);
  return aKey === bKey ? 0 : aKey > bKey ? 1 : -1;
}

const LOG_SPAN = Math.log1p(1e9);

/**
 * The `observedAt` of a snapshot built from a subscription and the other objects it depends on
 * (its schedule). It is the newest of their times (whole seconds, as Stripe stamps events) plus a
 * sub-second part that grows as the *other* parts get newer. So a combination holding the newest
 * version of every part is strictly newer than any combination built before one of them arrived,
 * and the stored state converges to it whatever the delivery order.
 */
export function combinedObservedAt(parts: ReadonlyArray<Date | null>): Date {
  const times = parts
    .filter((p): p is Date => p !== null)
    .map((p) => Math.floor(p.getTime() / 1000));
  if (times.length === 0) throw new Error('combinedObservedAt needs at least one time');
  const newest = Math.max(...times);
  const rest = [...times];
  rest.splice(rest.indexOf(newest), 1);
  if (parts.length <= 1) return new Date(newest * 1000);
  // A missing part counts as infinitely old; each present one adds its closeness to the newest.
  const missing = parts.length - times.length;
  let closeness = 0;
  for (const t of rest) closeness += 1 - Math.log1p(newest - t) / LOG_SPAN;
  const share = closeness / (rest.length + missing);
  const offsetMs = Math.min(999, Math.max(0, Math.floor(share * 999)));
  return new Date(newest * 1000 + offsetMs);
}
