import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  accountFromKey,
  accountKey,
  isValidAccountId,
  UNLINKED_ACCOUNT_KEY,
} from '../accounts/account-id';
import { AccountsService } from '../accounts/accounts.service';
import { TrialsService } from '../accounts/trials.service';
import { Clock } from '../common/clock';
import { decodeCursor, encodeCursor } from '../common/keyset-cursor';
import { PermanentInboxError } from '../inbox/inbox.types';
import { MetricsService } from '../metrics/metrics.service';
import {
  deriveEntitlement,
  normalizeSnapshot,
  replacementTransitions,
  snapshotToJson,
  subscriptionStateFromJson,
  subscriptionStateToJson,
  SubscriptionStateError,
  transition,
  TRANSITION_NAMES,
  type AccountEntitlement,
  type EntitlementPolicy,
  type MergeOutcome,
  type PlanId,
  type PlanLimitsTable,
  type Store,
  type SubscriptionSnapshot,
  type SubscriptionState,
  type TransitionName,
} from './domain';
import {
  insertHistory,
  notifyEntitlementChanged,
  type HistoryEntryInput,
  type HistoryEntryName,
} from './entitlement-history.writer';
import { ENTITLEMENT_POLICY, PLAN_LIMITS } from './entitlement-policy.provider';

export interface ApplyContext {
  /** The inbox event the snapshot came from (kept with the applied snapshot and the history). */
  inboxEventId?: string;
}

export interface ApplyResult {
  /** The snapshot was not newer than the stored one: it overwrote nothing. */
  stale: boolean;
  /** Named transitions written to the history (often none). */
  transitions: TransitionName[];
  /** The account the subscription is linked to now (null: unlinked). */
  accountId: string | null;
  outcome: MergeOutcome;
  /** First snapshot of this store subscription. */
  created: boolean;
  /** The stored state changed (and `entitlement_changed` was announced). */
  changed: boolean;
  /** Set when the subscription moved from another account (or from unlinked). */
  previousAccountId: string | null;
}

/** One store subscription as stored. */
export interface StoredSubscription {
  accountId: string | null;
  state: SubscriptionState;
  version: number;
}

export interface HistoryEntryView {
  id: string;
  transition: HistoryEntryName;
  store: Store | null;
  storeSubscriptionId: string | null;
  fromState: string | null;
  toState: string | null;
  fromPlan: PlanId | null;
  toPlan: PlanId | null;
  details: Record<string, unknown>;
  inboxEventId: string | null;
  occurredAt: string;
}

export interface HistoryPage {
  entries: HistoryEntryView[];
  nextBefore: string | null;
}

export interface HistoryQuery {
  limit?: number;
  /** The `nextBefore` of the previous page. */
  before?: string;
}

/** Another writer changed the subscription between our read and our write: read again. */
class ConcurrentUpdate extends Error {
  constructor(readonly why: string) {
    super(`concurrent update: ${why}`);
  }
}

export class InvalidHistoryCursorError extends Error {
  constructor() {
    super('invalid history cursor');
  }
}

/** Enough for any realistic burst on one subscription; each retry re-reads the newest state. */
const MAX_WRITE_ATTEMPTS = 25;

interface SubscriptionRow {
  account_id: string;
  state: unknown;
  version: number;
  created_at: Date;
}

interface HistoryRow {
  id: string;
  store: Store | null;
  store_subscription_id: string | null;
  transition: HistoryEntryName;
  from_state: string | null;
  to_state: string | null;
  from_plan: PlanId | null;
  to_plan: PlanId | null;
  details: Record<string, unknown>;
  inbox_event_id: string | null;
  occurred_at: Date;
}

/**
 * Persistence of the entitlement state machine: applies store snapshots under compare-and-set,
 * keeps every applied snapshot and the named transitions, and answers account-level reads.
 */
@Injectable()
export class EntitlementService {
  private readonly logger = new Logger(EntitlementService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly accounts: AccountsService,
    private readonly trials: TrialsService,
    @Inject(ENTITLEMENT_POLICY) private readonly policy: EntitlementPolicy,
    @Inject(PLAN_LIMITS) private readonly planLimits: PlanLimitsTable,
  ) {}

  /**
   * Applies one store snapshot. Writes for one subscription serialize through its `version`
   * (a conditional UPDATE; on conflict the newest state is read again and the step redone), so
   * concurrent deliveries never lose an update and the newest snapshot wins whatever the order.
   * In the same transaction: the applied snapshot, the history lines, the trial grant and a
   * `pg_notify('entitlement_changed', accountId)`.
   *
   * @throws PermanentInboxError `invalid_snapshot` for a malformed snapshot (retrying cannot help).
   */
  async apply(snapshot: SubscriptionSnapshot, ctx: ApplyContext = {}): Promise<ApplyResult> {
    const normalized = this.prepare(snapshot);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.dataSource.transaction((m) => this.applyOnce(m, normalized, ctx));
        this.report(normalized, result);
        return result;
      } catch (error) {
        if (!(error instanceof ConcurrentUpdate)) throw error;
        this.conflicts.inc({ store: normalized.store });
        if (attempt >= MAX_WRITE_ATTEMPTS) {
          throw new Error(
            `subscription ${normalized.store}:${normalized.storeSubscriptionId} kept changing ` +
              `under ${attempt} attempts (${error.why})`,
          );
        }
      }
    }
  }

  /** The stored subscription, or null when no snapshot of it was ever applied. */
  async getSubscription(
    store: Store,
    storeSubscriptionId: string,
  ): Promise<StoredSubscription | null> {
    const links: { account_id: string | null }[] = await this.dataSource.query(
      `SELECT account_id FROM store_subscription_links
        WHERE store = $1 AND store_subscription_id = $2`,
      [store, storeSubscriptionId],
    );
    if (links.length === 0) return null;
    const rows: SubscriptionRow[] = await this.dataSource.query(
      `SELECT account_id, state, version, created_at FROM store_subscriptions
        WHERE account_id = $1 AND store = $2 AND store_subscription_id = $3`,
      [accountKey(links[0].account_id), store, storeSubscriptionId],
    );
    if (rows.length === 0) return null;
    return {
      accountId: accountFromKey(rows[0].account_id),
      state: subscriptionStateFromJson(rows[0].state),
      version: Number(rows[0].version),
    };
  }

  /** Every store subscription linked to the account (empty for an account never seen). */
  async subscriptionsForAccount(accountId: string): Promise<SubscriptionState[]> {
    if (!isValidAccountId(accountId)) return [];
    const rows: { state: unknown }[] = await this.dataSource.query(
      `SELECT state FROM store_subscriptions WHERE account_id = $1
        ORDER BY store, store_subscription_id`,
      [accountId],
    );
    return rows.map((row) => subscriptionStateFromJson(row.state));
  }

  /** The account's entitlement at `now`: derived from stored timestamps, never from a cron. */
  async getAccountEntitlement(
    accountId: string,
    now: Date = this.clock.now(),
  ): Promise<AccountEntitlement> {
    const [subscriptions, standing] = await Promise.all([
      this.subscriptionsForAccount(accountId),
      isValidAccountId(accountId)
        ? this.accounts.standing(accountId)
        : Promise.resolve({ suspended: false }),
    ]);
    return deriveEntitlement(
      subscriptions,
      { id: accountId, suspended: standing.suspended },
      now,
      this.policy,
      this.planLimits,
    );
  }

  /**
   * The account's history, newest first, a page at a time.
   * @throws InvalidHistoryCursorError when `before` is not a cursor this method produced.
   */
  async history(accountId: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    if (!isValidAccountId(accountId)) return { entries: [], nextBefore: null };
    const params: unknown[] = [accountId];
    let after = '';
    if (query.before !== undefined) {
      const position = decodeCursor(query.before);
      if (position === null || !/^\d{1,19}$/.test(position.id)) {
        throw new InvalidHistoryCursorError();
      }
      params.push(position.at, position.id);
      after = 'AND (occurred_at, id) < ($2, $3::bigint)';
    }
    params.push(limit + 1);
    const rows: HistoryRow[] = await this.dataSource.query(
      `SELECT id::text AS id, store, store_subscription_id, transition, from_state, to_state,
              from_plan, to_plan, details, inbox_event_id, occurred_at
         FROM entitlement_history
        WHERE account_id = $1 ${after}
        ORDER BY occurred_at DESC, id DESC
        LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      entries: page.map((row) => ({
        id: row.id,
        transition: row.transition,
        store: row.store,
        storeSubscriptionId: row.store_subscription_id,
        fromState: row.from_state,
        toState: row.to_state,
        fromPlan: row.from_plan,
        toPlan: row.to_plan,
        details: row.details,
        inboxEventId: row.inbox_event_id,
        occurredAt: new Date(row.occurred_at).toISOString(),
      })),
      nextBefore:
        rows.length > limit && last !== undefined
          ? encodeCursor({ at: new Date(last.occurred_at), id: last.id })
          : null,
    };
  }

  // -------------------------------------------------------------------------------------------

  private prepare(snapshot: SubscriptionSnapshot): SubscriptionSnapshot {
    let normalized: SubscriptionSnapshot;
    try {
      normalized = normalizeSnapshot(snapshot);
    } catch (error) {
      if (error instanceof SubscriptionStateError) {
        throw new PermanentInboxError('invalid_snapshot', error.message);
      }
      throw error;
    }
    if (normalized.accountId !== null && !isValidAccountId(normalized.accountId)) {
      // Not one of our account ids (a hand-edited Stripe metadata value...): keep it unlinked.
      this.metrics
        .counter(
          'entitlement_invalid_account_ids_total',
          'Snapshots naming a malformed account id',
          ['store'],
        )
        .inc({ store: normalized.store });
      this.logger.warn(
        { store: normalized.store, storeSubscriptionId: normalized.storeSubscriptionId },
        'snapshot names a malformed account id; the purchase is kept unlinked',
      );
      normalized = { ...normalized, accountId: null };
    }
    return normalized;
  }

  private async applyOnce(
    m: EntityManager,
    snapshot: SubscriptionSnapshot,
    ctx: ApplyContext,
  ): Promise<ApplyResult> {
    const now = this.clock.now();
    const { store, storeSubscriptionId } = snapshot;
    const current = await this.readForUpdate(m, store, storeSubscriptionId);
    const previous = current === null ? null : subscriptionStateFromJson(current.state);
    const step = transition(previous, snapshot, now, this.policy);
    const next = step.next;
    const nextJson = subscriptionStateToJson(next);
    const fromKey = current === null ? null : current.account_id;
    const toKey = accountKey(next.accountId);
    const changed =
      previous === null ||
      JSON.stringify(subscriptionStateToJson(previous)) !== JSON.stringify(nextJson);

    if (current === null) {
      const linked: unknown[] = await m.query(
        `INSERT INTO store_subscription_links
           (store, store_subscription_id, account_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (store, store_subscription_id) DO NOTHING
         RETURNING store`,
        [store, storeSubscriptionId, next.accountId, now],
      );
      if (linked.length === 0) throw new ConcurrentUpdate('created by another writer');
      await this.insertState(m, toKey, next, nextJson, 1, now, now);
    } else if (changed) {
      const version = Number(current.version);
      if (fromKey === toKey) {
        const updated: unknown[] = await m.query(
          `WITH updated AS (
             UPDATE store_subscriptions
                SET state = $4::jsonb, status = $5, plan = $6, current_period_end = $7,
                    observed_at = $8, version = version + 1, updated_at = $9
              WHERE account_id = $1 AND store = $2 AND store_subscription_id = $3
                AND version = $10
              RETURNING version)
           SELECT version FROM updated`,
          [
            toKey,
            store,
            storeSubscriptionId,
            JSON.stringify(nextJson),
            next.latest.status,
            next.latest.plan,
            next.latest.currentPeriodEnd,
            next.latest.observedAt,
            now,
            version,
          ],
        );
        if (updated.length === 0) throw new ConcurrentUpdate('version moved on');
      } else {
        // The account key is the distribution key: a move is a delete and an insert.
        const removed: unknown[] = await m.query(
          `WITH removed AS (
             DELETE FROM store_subscriptions
              WHERE account_id = $1 AND store = $2 AND store_subscription_id = $3
                AND version = $4
              RETURNING 1)
           SELECT 1 FROM removed`,
          [fromKey, store, storeSubscriptionId, version],
        );
        if (removed.length === 0) throw new ConcurrentUpdate('version moved on');
        await this.insertState(m, toKey, next, nextJson, version + 1, current.created_at, now);
        await m.query(
          `UPDATE store_subscription_links SET account_id = $3, updated_at = $4
            WHERE store = $1 AND store_subscription_id = $2`,
          [store, storeSubscriptionId, next.accountId, now],
        );
        if (fromKey === UNLINKED_ACCOUNT_KEY) {
          await this.adoptUnlinkedHistory(m, store, storeSubscriptionId, toKey);
        }
      }
    }

    await m.query(
      `INSERT INTO applied_snapshots
         (id, store, store_subscription_id, account_id, inbox_event_id, observed_at, outcome,
          snapshot, applied_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)`,
      [
        randomUUID(),
        store,
        storeSubscriptionId,
        snapshot.accountId,
        ctx.inboxEventId ?? null,
        snapshot.observedAt,
        step.outcome,
        JSON.stringify(snapshotToJson(snapshot)),
        now,
      ],
    );

    const replacement = await this.replacement(m, snapshot, step, previous, now);
    const entries = this.historyEntries(snapshot, step, previous, fromKey, toKey, ctx);
    if (replacement !== null) {
      entries.push(...this.replacementEntries(snapshot, step, replacement, toKey, ctx));
    }
    await insertHistory(m, entries, now);
    await this.recordTrialGrant(m, snapshot, previous, next, fromKey, toKey);
    const moved = fromKey !== null && fromKey !== toKey;
    if (changed) {
      await notifyEntitlementChanged(m, [
        accountFromKey(toKey),
        moved ? accountFromKey(fromKey) : null,
      ]);
    }
    const names = new Set<TransitionName>([...step.transitions, ...(replacement?.names ?? [])]);
    return {
      stale: step.stale,
      transitions: TRANSITION_NAMES.filter((name) => names.has(name)),
      accountId: next.accountId,
      outcome: step.outcome,
      created: step.created,
      changed,
      previousAccountId: moved ? accountFromKey(fromKey) : null,
    };
  }

  /** The stored row, through the link (the link names the account key the row lives under). */
  private async readForUpdate(
    m: EntityManager,
    store: Store,
    storeSubscriptionId: string,
  ): Promise<SubscriptionRow | null> {
    const links: { account_id: string | null }[] = await m.query(
      `SELECT account_id FROM store_subscription_links
        WHERE store = $1 AND store_subscription_id = $2`,
      [store, storeSubscriptionId],
    );
    if (links.length === 0) return null;
    const rows: SubscriptionRow[] = await m.query(
      `SELECT account_id, state, version, created_at FROM store_subscriptions
        WHERE account_id = $1 AND store = $2 AND store_subscription_id = $3`,
      [accountKey(links[0].account_id), store, storeSubscriptionId],
    );
    // Moved to another account between the two reads: read again.
    if (rows.length === 0) throw new ConcurrentUpdate('moved between reads');
    return rows[0];
  }

  private async insertState(
    m: EntityManager,
    key: string,
    state: SubscriptionState,
    json: unknown,
    version: number,
    createdAt: Date,
    now: Date,
  ): Promise<void> {
    await m.query(
      `INSERT INTO store_subscriptions
         (account_id, store, store_subscription_id, state, status, plan, current_period_end,
          observed_at, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11)`,
      [
        key,
        state.store,
        state.storeSubscriptionId,
        JSON.stringify(json),
        state.latest.status,
        state.latest.plan,
        state.latest.currentPeriodEnd,
        state.latest.observedAt,
        version,
        createdAt,
        now,
      ],
    );
  }

  /** The history of a purchase from before it was linked follows it to its account. */
  private async adoptUnlinkedHistory(
    m: EntityManager,
    store: Store,
    storeSubscriptionId: string,
    toKey: string,
  ): Promise<void> {
    await m.query(
      `WITH moved AS (
         DELETE FROM entitlement_history
          WHERE account_id = '' AND store = $1 AND store_subscription_id = $2
          RETURNING *)
       INSERT INTO entitlement_history
         (account_id, store, store_subscription_id, transition, from_state, to_state, from_plan,
          to_plan, details, inbox_event_id, occurred_at, recorded_at)
       SELECT $3, store, store_subscription_id, transition, from_state, to_state, from_plan,
              to_plan, details, inbox_event_id, occurred_at, recorded_at
         FROM moved ORDER BY id`,
      [store, storeSubscriptionId, toKey],
    );
  }

  /**
   * A purchase that replaces another (Google: a new token whose `linkedPurchaseToken` names the
   * old one) is a new store subscription, so its plan change against the replaced one is named
   * here, once, when the link first shows.
   */
  private async replacement(
    m: EntityManager,
    snapshot: SubscriptionSnapshot,
    step: ReturnType<typeof transition>,
    previous: SubscriptionState | null,
    now: Date,
  ): Promise<{ replaced: SubscriptionState; names: TransitionName[] } | null> {
    const supersedes = step.next.latest.supersedes;
    if (step.stale || supersedes === null || supersedes === snapshot.storeSubscriptionId) {
      return null;
    }
    if (previous !== null && previous.latest.supersedes === supersedes) return null;
    const links: { account_id: string | null }[] = await m.query(
      `SELECT account_id FROM store_subscription_links
        WHERE store = $1 AND store_subscription_id = $2`,
      [snapshot.store, supersedes],
    );
    if (links.length === 0) return null;
    const rows: { state: unknown }[] = await m.query(
      `SELECT state FROM store_subscriptions
        WHERE account_id = $1 AND store = $2 AND store_subscription_id = $3`,
      [accountKey(links[0].account_id), snapshot.store, supersedes],
    );
    if (rows.length === 0) return null;
    const replaced = subscriptionStateFromJson(rows[0].state);
    return { replaced, names: replacementTransitions(replaced, step.next, now, this.policy) };
  }

  private replacementEntries(
    snapshot: SubscriptionSnapshot,
    step: ReturnType<typeof transition>,
    replacement: { replaced: SubscriptionState; names: TransitionName[] },
    toKey: string,
    ctx: ApplyContext,
  ): HistoryEntryInput[] {
    const replaced = replacement.replaced;
    const replacedKey = accountKey(replaced.accountId);
    const entries: HistoryEntryInput[] = [];
    for (const name of replacement.names) {
      const entry: HistoryEntryInput = {
        accountKey: toKey,
        store: snapshot.store,
        storeSubscriptionId: snapshot.storeSubscriptionId,
        transition: name,
        fromState: replaced.latest.status,
        toState: step.after.state,
        fromPlan: replaced.latest.plan,
        toPlan: step.after.plan,
        details: {
          sourceEvent: snapshot.sourceEvent,
          productId: snapshot.productId,
          replaces: replaced.storeSubscriptionId,
          ...(name === 'transferred'
            ? { fromAccountId: replaced.accountId, toAccountId: step.next.accountId }
            : {}),
        },
        inboxEventId: ctx.inboxEventId ?? null,
        occurredAt: step.at,
      };
      entries.push(entry);
      if (name === 'transferred' && replacedKey !== toKey) {
        entries.push({ ...entry, accountKey: replacedKey });
      }
    }
    return entries;
  }

  private historyEntries(
    snapshot: SubscriptionSnapshot,
    step: ReturnType<typeof transition>,
    previous: SubscriptionState | null,
    fromKey: string | null,
    toKey: string,
    ctx: ApplyContext,
  ): HistoryEntryInput[] {
    const base = {
      store: snapshot.store,
      storeSubscriptionId: snapshot.storeSubscriptionId,
      fromState: step.before?.state ?? null,
      toState: step.after.state,
      fromPlan: step.before?.plan ?? null,
      toPlan: step.after.plan,
      inboxEventId: ctx.inboxEventId ?? null,
      occurredAt: step.at,
    };
    const about = { sourceEvent: snapshot.sourceEvent, productId: snapshot.productId };
    const entries: HistoryEntryInput[] = [];
    const add = (transitionName: HistoryEntryName, details: Record<string, unknown> = {}): void => {
      entries.push({
        ...base,
        accountKey: toKey,
        transition: transitionName,
        details: { ...about, ...details },
      });
    };
    if (step.created) add('subscription_created', { status: snapshot.status });
    if (fromKey === UNLINKED_ACCOUNT_KEY && toKey !== UNLINKED_ACCOUNT_KEY) {
      add('linked', { accountId: accountFromKey(toKey) });
    }
    const unknownNow = !step.stale && step.next.latest.plan === null;
    if (unknownNow && (previous === null || previous.latest.plan !== null)) add('unknown_product');
    for (const name of step.transitions) {
      if (name === 'transferred') {
        const details = {
          fromAccountId: previous?.accountId ?? null,
          toAccountId: step.next.accountId,
        };
        add(name, details);
        if (fromKey !== null && fromKey !== toKey) {
          entries.push({
            ...base,
            accountKey: fromKey,
            transition: name,
            details: { ...about, ...details },
          });
        }
      } else {
        add(name);
      }
    }
    return entries;
  }

  /** One trial per person: a subscription that shows a trial leaves a grant with its signals. */
  private async recordTrialGrant(
    m: EntityManager,
    snapshot: SubscriptionSnapshot,
    previous: SubscriptionState | null,
    next: SubscriptionState,
    fromKey: string | null,
    toKey: string,
  ): Promise<void> {
    if (!next.hadTrial || (next.sandbox && !this.policy.acceptSandbox)) return;
    const signalsGrew =
      previous === null ||
      JSON.stringify(previous.trialSignals) !== JSON.stringify(next.trialSignals);
    if (previous !== null && previous.hadTrial && fromKey === toKey && !signalsGrew) return;
    const own = snapshot.trialSignals;
    await this.trials.recordTrial(
      {
        accountId: next.accountId,
        store: next.store,
        storeSubscriptionId: next.storeSubscriptionId,
        paymentFingerprint:
          own?.paymentFingerprint ?? next.trialSignals.paymentFingerprints[0] ?? null,
        deviceId: own?.deviceId ?? next.trialSignals.deviceIds[0] ?? null,
        startedAt:
          next.latest.status === 'trial'
            ? (next.latest.currentPeriodStart ?? next.firstObservedAt)
            : next.firstObservedAt,
      },
      m,
    );
  }

  private report(snapshot: SubscriptionSnapshot, result: ApplyResult): void {
    this.applied.inc({ store: snapshot.store, outcome: result.outcome });
    const context = {
      store: snapshot.store,
      storeSubscriptionId: snapshot.storeSubscriptionId,
      sourceEvent: snapshot.sourceEvent,
    };
    if (result.accountId === null) {
      this.metrics
        .counter(
          'entitlement_unlinked_snapshots_total',
          'Snapshots applied to a purchase linked to no account (kept, linkable later)',
          ['store'],
        )
        .inc({ store: snapshot.store });
      this.logger.warn(
        context,
        'purchase linked to no account; kept unlinked until a snapshot names one',
      );
    }
    if (!result.stale && snapshot.plan === null) {
      this.metrics
        .counter('entitlement_unknown_products_total', 'Snapshots of a product no plan maps to', [
          'store',
        ])
        .inc({ store: snapshot.store });
      this.logger.warn(
        { ...context, productId: snapshot.productId },
        'unknown store product; it grants nothing',
      );
    }
    if (result.transitions.length > 0 || result.created) {
      this.logger.log(
        { ...context, accountId: result.accountId, transitions: result.transitions },
        'subscription updated',
      );
    }
  }

  private get applied() {
    return this.metrics.counter(
      'entitlement_snapshots_applied_total',
      'Store snapshots applied, by merge outcome (applied, stale, duplicate)',
      ['store', 'outcome'],
    );
  }

  private get conflicts() {
    return this.metrics.counter(
      'entitlement_write_conflicts_total',
      'Compare-and-set conflicts on a subscription (the write was redone on the newer state)',
      ['store'],
    );
  }
}
