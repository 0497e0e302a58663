import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import {
  insertHistory,
  notifyEntitlementChanged,
} from '../entitlements/entitlement-history.writer';
import { accountsError, AccountsErrorCode } from './accounts-errors';
import { isValidAccountId } from './account-id';

/** Who suspended an account. */
export type SuspensionSource = 'operator' | 'chargeback' | 'abuse';

export interface AccountSuspension {
  suspendedAt: string;
  reason: string | null;
  source: string | null;
}

/** An account's standing: a suspended account is never covered. */
export interface AccountStandingView {
  accountId: string;
  suspended: boolean;
  suspension: AccountSuspension | null;
}

interface AccountRow {
  suspended_at: Date | null;
  suspension_reason: string | null;
  suspension_source: string | null;
}

const MAX_REASON_LENGTH = 500;

function view(accountId: string, row: AccountRow | undefined): AccountStandingView {
  if (row === undefined || row.suspended_at === null) {
    return { accountId, suspended: false, suspension: null };
  }
  return {
    accountId,
    suspended: true,
    suspension: {
      suspendedAt: new Date(row.suspended_at).toISOString(),
      reason: row.suspension_reason,
      source: row.suspension_source,
    },
  };
}

/** Account standing: suspension and its lifting, each written to the account's history. */
@Injectable()
export class AccountsService {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** The account's standing; an account this service never saw is in good standing. */
  async standing(accountId: string, manager?: EntityManager): Promise<AccountStandingView> {
    const rows: AccountRow[] = await (manager ?? this.dataSource).query(
      'SELECT suspended_at, suspension_reason, suspension_source FROM accounts WHERE id = $1',
      [accountId],
    );
    return view(accountId, rows[0]);
  }

  /**
   * Suspends the account (not covered, whatever its subscriptions). Suspending a suspended account
   * changes nothing: the first suspension's time, reason and source stay.
   */
  async suspend(
    accountId: string,
    reason: string,
    source: SuspensionSource = 'operator',
  ): Promise<AccountStandingView> {
    this.assertAccountId(accountId);
    const now = this.clock.now();
    const why = reason.slice(0, MAX_REASON_LENGTH);
    return this.dataSource.transaction(async (m) => {
      const changed: AccountRow[] = await m.query(
        `WITH suspended AS (
           INSERT INTO accounts AS a
             (id, suspended_at, suspension_reason, suspension_source, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $2, $2)
           ON CONFLICT (id) DO UPDATE
             SET suspended_at = EXCLUDED.suspended_at,
                 suspension_reason = EXCLUDED.suspension_reason,
                 suspension_source = EXCLUDED.suspension_source,
                 updated_at = EXCLUDED.updated_at
             WHERE a.suspended_at IS NULL
           RETURNING suspended_at, suspension_reason, suspension_source)
         SELECT * FROM suspended`,
        [accountId, now, why, source],
      );
      if (changed.length === 0) return this.standing(accountId, m);
      await insertHistory(
        m,
        [
          {
            accountKey: accountId,
            store: null,
            storeSubscriptionId: null,
            transition: 'suspended',
            fromState: null,
            toState: null,
            fromPlan: null,
            toPlan: null,
            details: { reason: why, source },
            inboxEventId: null,
            occurredAt: now,
          },
        ],
        now,
      );
      await notifyEntitlementChanged(m, [accountId]);
      this.logger.warn({ accountId, source }, 'account suspended');
      return view(accountId, changed[0]);
    });
  }

  /** Lifts a suspension; lifting none changes nothing. */
  async unsuspend(
    accountId: string,
    reason: string,
    source: SuspensionSource = 'operator',
  ): Promise<AccountStandingView> {
    this.assertAccountId(accountId);
    const now = this.clock.now();
    const why = reason.slice(0, MAX_REASON_LENGTH);
    return this.dataSource.transaction(async (m) => {
      const lifted: AccountRow[] = await m.query(
        `WITH previous AS (
           SELECT id, suspended_at, suspension_reason, suspension_source FROM accounts
            WHERE id = $1 AND suspended_at IS NOT NULL
            FOR UPDATE),
         lifted AS (
           UPDATE accounts a
              SET suspended_at = NULL, suspension_reason = NULL, suspension_source = NULL,
                  updated_at = $2
             FROM previous
            WHERE a.id = previous.id
            RETURNING previous.suspended_at, previous.suspension_reason,
                      previous.suspension_source)
         SELECT * FROM lifted`,
        [accountId, now],
      );
      if (lifted.length === 0) return this.standing(accountId, m);
      const previous = lifted[0];
      await insertHistory(
        m,
        [
          {
            accountKey: accountId,
            store: null,
            storeSubscriptionId: null,
            transition: 'unsuspended',
            fromState: null,
            toState: null,
            fromPlan: null,
            toPlan: null,
            details: {
              reason: why,
              source,
              suspendedAt:
                previous.suspended_at === null
                  ? null
                  : new Date(previous.suspended_at).toISOString(),
              suspensionReason: previous.suspension_reason,
              suspensionSource: previous.suspension_source,
            },
            inboxEventId: null,
            occurredAt: now,
          },
        ],
        now,
      );
      await notifyEntitlementChanged(m, [accountId]);
      this.logger.warn({ accountId, source }, 'account suspension lifted');
      return { accountId, suspended: false, suspension: null };
    });
  }

  private assertAccountId(accountId: string): void {
    if (!isValidAccountId(accountId)) throw accountsError(AccountsErrorCode.InvalidAccountId);
  }
}
