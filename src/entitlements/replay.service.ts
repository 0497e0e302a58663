import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { accountFromKey, accountKey } from '../accounts/account-id';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import {
  snapshotFromJson,
  subscriptionStateFromJson,
  subscriptionStateToJson,
  transition,
  type EntitlementPolicy,
  type Store,
  type SubscriptionState,
} from './domain';
import { notifyEntitlementChanged } from './entitlement-history.writer';
import { policyFromConfig } from './entitlement-policy.provider';
import { diffPaths } from './state-diff';

export type ReplayProblem =
  /** The stored state is not what folding its applied snapshots gives. */
  | 'state_differs'
  /** The stored columns (account, status, plan, period end, observed at) disagree with the state. */
  | 'columns_differ'
  /** A linked subscription has no stored state. */
  | 'missing_state'
  /** A stored state has no applied snapshot to rebuild it from. */
  | 'no_snapshots'
  /** The stored state cannot be read. */
  | 'unreadable_state'
  /** A stored state with no link (or a second row of one subscription). */
  | 'orphan_state';

export interface ReplayDifference {
  store: Store;
  storeSubscriptionId: string;
  /** The account key the stored row lives under ('' = unlinked), null when there is no row. */
  storedAccountKey: string | null;
  problem: ReplayProblem;
  /** Paths that differ, e.g. `latest.status` or `column:plan`. */
  fields: string[];
  /** Written back from the rebuilt state (`fix`). */
  fixed: boolean;
}

export interface ReplayReport {
  subscriptions: number;
  snapshots: number;
  differences: ReplayDifference[];
  fixed: number;
}

export interface ReplayOptions {
  /** Write the rebuilt states back (under compare-and-set). */
  fix?: boolean;
}

interface LinkRow {
  store: Store;
  store_subscription_id: string;
  account_id: string | null;
}

interface StateRow {
  account_id: string;
  state: unknown;
  status: string;
  plan: string | null;
  current_period_end: Date | null;
  observed_at: Date;
  version: number;
  created_at: Date;
}

const PAGE = 200;

function sameInstant(a: Date | null, b: Date | null): boolean {
  if (a === null || b === null) return a === b;
  return new Date(a).getTime() === new Date(b).getTime();
}

/**
 * Rebuilds every subscription by folding its applied snapshots through the state machine in time
 * order, and reports where the stored state differs (`npm run replay`; `--fix` writes the
 * rebuilt states back). Reads a page of subscriptions at a time.
 */
@Injectable()
export class ReplayService {
  private readonly logger = new Logger(ReplayService.name);
  private readonly policy: EntitlementPolicy;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.policy = policyFromConfig(config);
  }

  async run(options: ReplayOptions = {}): Promise<ReplayReport> {
    const report: ReplayReport = { subscriptions: 0, snapshots: 0, differences: [], fixed: 0 };
    let after: { store: string; id: string } | null = null;
    for (;;) {
      const links: LinkRow[] = await this.dataSource.query(
        `SELECT store, store_subscription_id, account_id FROM store_subscription_links
          ${after === null ? '' : 'WHERE (store, store_subscription_id) > ($2, $3)'}
          ORDER BY store, store_subscription_id
          LIMIT $1`,
        after === null ? [PAGE] : [PAGE, after.store, after.id],
      );
      for (const link of links) {
        report.subscriptions++;
        const difference = await this.check(link, options, report);
        if (difference !== null) report.differences.push(difference);
      }
      if (links.length < PAGE) break;
      const last = links[links.length - 1];
      after = { store: last.store, id: last.store_subscription_id };
    }
    report.differences.push(...(await this.orphans()));
    report.fixed = report.differences.filter((d) => d.fixed).length;
    return report;
  }

  /** The state folding a subscription's applied snapshots in time order gives (null: none). */
  async rebuild(
    store: Store,
    storeSubscriptionId: string,
  ): Promise<{ state: SubscriptionState | null; snapshots: number }> {
    const rows: { snapshot: unknown }[] = await this.dataSource.query(
      `SELECT snapshot FROM applied_snapshots
        WHERE store = $1 AND store_subscription_id = $2
        ORDER BY observed_at, applied_at, id`,
      [store, storeSubscriptionId],
    );
    const now = this.clock.now();
    let state: SubscriptionState | null = null;
    for (const row of rows) {
      state = transition(state, snapshotFromJson(row.snapshot), now, this.policy).next;
    }
    return { state, snapshots: rows.length };
  }

  private async check(
    link: LinkRow,
    options: ReplayOptions,
    report: ReplayReport,
  ): Promise<ReplayDifference | null> {
    const store = link.store;
    const id = link.store_subscription_id;
    const rows: StateRow[] = await this.dataSource.query(
      `SELECT account_id, state, status, plan, current_period_end, observed_at, version, created_at
         FROM store_subscriptions
        WHERE account_id = $1 AND store = $2 AND store_subscription_id = $3`,
      [accountKey(link.account_id), store, id],
    );
    const stored = rows[0];
    const { state: rebuilt, snapshots } = await this.rebuild(store, id);
    report.snapshots += snapshots;
    const difference = (problem: ReplayProblem, fields: string[]): ReplayDifference => ({
      store,
      storeSubscriptionId: id,
      storedAccountKey: stored === undefined ? null : stored.account_id,
      problem,
      fields,
      fixed: false,
    });

    if (rebuilt === null) return difference('no_snapshots', []);
    let found: ReplayDifference | null = null;
    if (stored === undefined) {
      found = difference('missing_state', []);
    } else {
      let storedJson: unknown;
      try {
        storedJson = subscriptionStateToJson(subscriptionStateFromJson(stored.state));
      } catch (error) {
        found = difference('unreadable_state', [error instanceof Error ? error.message : 'state']);
      }
      if (found === null) {
        const fields = diffPaths(storedJson, subscriptionStateToJson(rebuilt));
        if (fields.length > 0) {
          found = difference('state_differs', fields);
        } else {
          const columns = this.columnDifferences(stored, rebuilt, link);
          if (columns.length > 0) found = difference('columns_differ', columns);
        }
      }
    }
    if (found !== null && options.fix === true) {
      found.fixed = await this.write(rebuilt, stored);
    }
    if (found !== null) {
      this.logger.warn(
        { store, storeSubscriptionId: id, problem: found.problem, fields: found.fields },
        'replay found a difference',
      );
    }
    return found;
  }

  private columnDifferences(stored: StateRow, state: SubscriptionState, link: LinkRow): string[] {
    const out: string[] = [];
    if (stored.account_id !== accountKey(state.accountId)) out.push('column:account_id');
    if (link.account_id !== state.accountId) out.push('link:account_id');
    if (stored.status !== state.latest.status) out.push('column:status');
    if (stored.plan !== state.latest.plan) out.push('column:plan');
    if (!sameInstant(stored.current_period_end, state.latest.currentPeriodEnd)) {
      out.push('column:current_period_end');
    }
    if (!sameInstant(stored.observed_at, state.latest.observedAt)) out.push('column:observed_at');
    return out;
  }

  /** Writes a rebuilt state under compare-and-set; false when the subscription changed meanwhile. */
  private async write(state: SubscriptionState, stored: StateRow | undefined): Promise<boolean> {
    const now = this.clock.now();
    const key = accountKey(state.accountId);
    return this.dataSource.transaction(async (m) => {
      let version = 1;
      let createdAt = now;
      if (stored !== undefined) {
        const removed: unknown[] = await m.query(
          `WITH removed AS (
             DELETE FROM store_subscriptions
              WHERE account_id = $1 AND store = $2 AND store_subscription_id = $3
                AND version = $4
              RETURNING 1)
           SELECT 1 FROM removed`,
          [stored.account_id, state.store, state.storeSubscriptionId, stored.version],
        );
        if (removed.length === 0) return false;
        version = Number(stored.version) + 1;
        createdAt = stored.created_at;
      }
      await m.query(
        `INSERT INTO store_subscriptions
           (account_id, store, store_subscription_id, state, status, plan, current_period_end,
            observed_at, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11)`,
        [
          key,
          state.store,
          state.storeSubscriptionId,
          JSON.stringify(subscriptionStateToJson(state)),
          state.latest.status,
          state.latest.plan,
          state.latest.currentPeriodEnd,
          state.latest.observedAt,
          version,
          createdAt,
          now,
        ],
      );
      await m.query(
        `UPDATE store_subscription_links SET account_id = $3, updated_at = $4
          WHERE store = $1 AND store_subscription_id = $2`,
        [state.store, state.storeSubscriptionId, state.accountId, now],
      );
      await notifyEntitlementChanged(m, [
        state.accountId,
        stored === undefined ? null : accountFromKey(stored.account_id),
      ]);
      return true;
    });
  }

  /** Stored states no link points at (never written by `apply`; a sign of manual edits). */
  private async orphans(): Promise<ReplayDifference[]> {
    const rows: { account_id: string; store: Store; store_subscription_id: string }[] =
      await this.dataSource.query(
        `SELECT s.account_id, s.store, s.store_subscription_id
           FROM store_subscriptions s
           LEFT JOIN store_subscription_links l
             ON l.store = s.store AND l.store_subscription_id = s.store_subscription_id
          WHERE l.store IS NULL OR COALESCE(l.account_id, '') <> s.account_id
          ORDER BY s.store, s.store_subscription_id, s.account_id`,
      );
    return rows.map((row) => ({
      store: row.store,
      storeSubscriptionId: row.store_subscription_id,
      storedAccountKey: row.account_id,
      problem: 'orphan_state' as const,
      fields: [],
      fixed: false,
    }));
  }
}
