import type { EntityManager } from 'typeorm';
import type { PlanId, Store, TransitionName } from './domain';

/** What a history line records: a named transition of SPEC §4, or one of these events. */
export type HistoryEntryName =
  | TransitionName
  /** First snapshot of a store subscription. */
  | 'subscription_created'
  /** An unlinked purchase got its account. */
  | 'linked'
  /** The store product maps to no plan: stored, reported, grants nothing. */
  | 'unknown_product'
  | 'suspended'
  | 'unsuspended';

export interface HistoryEntryInput {
  /** The account key: '' for a purchase linked to no account yet. */
  accountKey: string;
  store: Store | null;
  storeSubscriptionId: string | null;
  transition: HistoryEntryName;
  fromState: string | null;
  toState: string | null;
  fromPlan: PlanId | null;
  toPlan: PlanId | null;
  details: Record<string, unknown>;
  inboxEventId: string | null;
  occurredAt: Date;
}

const COLUMNS = [
  'account_id',
  'store',
  'store_subscription_id',
  'transition',
  'from_state',
  'to_state',
  'from_plan',
  'to_plan',
  'details',
  'inbox_event_id',
  'occurred_at',
  'recorded_at',
] as const;

/** Appends history lines inside the caller's transaction (one statement). */
export async function insertHistory(
  manager: EntityManager,
  entries: readonly HistoryEntryInput[],
  recordedAt: Date,
): Promise<void> {
  if (entries.length === 0) return;
  const params: unknown[] = [];
  const tuples = entries.map((e) => {
    const values = [
      e.accountKey,
      e.store,
      e.storeSubscriptionId,
      e.transition,
      e.fromState,
      e.toState,
      e.fromPlan,
      e.toPlan,
      JSON.stringify(e.details),
      e.inboxEventId,
      e.occurredAt,
      recordedAt,
    ];
    const placeholders = values.map((value, i) => {
      params.push(value);
      return COLUMNS[i] === 'details' ? `$${params.length}::jsonb` : `$${params.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  await manager.query(
    `INSERT INTO entitlement_history (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
    params,
  );
}

/** The channel another module LISTENs on to drop cached entitlements of an account. */
export const ENTITLEMENT_CHANGED_CHANNEL = 'entitlement_changed';

/** Announces, when the caller's transaction commits, that an account's entitlement changed. */
export async function notifyEntitlementChanged(
  manager: EntityManager,
  accountIds: Iterable<string | null>,
): Promise<void> {
  for (const accountId of new Set(accountIds)) {
    if (accountId === null || accountId === '') continue;
    await manager.query('SELECT pg_notify($1, $2)', [ENTITLEMENT_CHANGED_CHANNEL, accountId]);
  }
}
