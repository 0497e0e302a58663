import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Store } from '../entitlements/domain';
import { accountKey, isValidAccountId } from './account-id';
import { accountsError, AccountsErrorCode } from './accounts-errors';

export interface TrialEligibilityQuery {
  accountId: string;
  /** Stripe card fingerprint (or another store's payment-method signal). */
  paymentFingerprint?: string | null;
  deviceId?: string | null;
}

/** Why a person gets no new trial (seed 001: one trial per person; resubscribing gets none). */
export type TrialIneligibility =
  | 'account_had_trial'
  | 'payment_method_had_trial'
  | 'device_had_trial'
  | 'account_subscribed_before';

export interface TrialEligibility {
  eligible: boolean;
  reason: TrialIneligibility | null;
}

export interface TrialGrantInput {
  /** Null for a purchase linked to no account (its other signals still count). */
  accountId: string | null;
  store: Store;
  storeSubscriptionId: string;
  paymentFingerprint?: string | null;
  deviceId?: string | null;
  startedAt?: Date;
}

const MAX_SIGNAL_LENGTH = 255;

function signal(value: string | null | undefined): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return value.slice(0, MAX_SIGNAL_LENGTH);
}

/**
 * One trial per person, across stores: a trial is refused when the account, the payment method
 * or the device already had one, or when the account subscribed before (a resubscription starts
 * paid). Sandbox purchases only count when sandbox purchases grant entitlement.
 */
@Injectable()
export class TrialsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async isEligible(query: TrialEligibilityQuery): Promise<boolean> {
    return (await this.eligibility(query)).eligible;
  }

  async eligibility(query: TrialEligibilityQuery): Promise<TrialEligibility> {
    if (!isValidAccountId(query.accountId)) {
      throw accountsError(AccountsErrorCode.InvalidAccountId);
    }
    const [row]: {
      account: boolean;
      fingerprint: boolean;
      device: boolean;
      subscribed: boolean;
    }[] = await this.dataSource.query(
      `SELECT
         EXISTS (SELECT 1 FROM trial_grants WHERE account_id = $1) AS account,
         ($2::text IS NOT NULL
           AND EXISTS (SELECT 1 FROM trial_grants WHERE payment_fingerprint = $2)) AS fingerprint,
         ($3::text IS NOT NULL
           AND EXISTS (SELECT 1 FROM trial_grants WHERE device_id = $3)) AS device,
         EXISTS (
           SELECT 1 FROM store_subscriptions
            WHERE account_id = $1
              AND ((state->>'hadTrial')::boolean OR (state->>'hadPaidPeriod')::boolean)
              AND ($4 OR NOT (state->>'sandbox')::boolean)) AS subscribed`,
      [
        query.accountId,
        signal(query.paymentFingerprint),
        signal(query.deviceId),
        this.config.entitlements.acceptSandbox,
      ],
    );
    const reason: TrialIneligibility | null = row.account
      ? 'account_had_trial'
      : row.fingerprint
        ? 'payment_method_had_trial'
        : row.device
          ? 'device_had_trial'
          : row.subscribed
            ? 'account_subscribed_before'
            : null;
    return { eligible: reason === null, reason };
  }

  /**
   * Records that a person had a trial (idempotent per store subscription and account; a signal
   * learned later fills a blank one). Pass the caller's transaction manager to write with it.
   */
  async recordTrial(input: TrialGrantInput, manager?: EntityManager): Promise<void> {
    const now = this.clock.now();
    await (manager ?? this.dataSource).query(
      `INSERT INTO trial_grants AS g
         (account_id, store, store_subscription_id, payment_fingerprint, device_id, started_at,
          created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (account_id, store, store_subscription_id) DO UPDATE
         SET payment_fingerprint = COALESCE(g.payment_fingerprint, EXCLUDED.payment_fingerprint),
             device_id = COALESCE(g.device_id, EXCLUDED.device_id)
         WHERE (g.payment_fingerprint IS NULL AND EXCLUDED.payment_fingerprint IS NOT NULL)
            OR (g.device_id IS NULL AND EXCLUDED.device_id IS NOT NULL)`,
      [
        accountKey(input.accountId),
        input.store,
        input.storeSubscriptionId,
        signal(input.paymentFingerprint),
        signal(input.deviceId),
        input.startedAt ?? now,
        now,
      ],
    );
  }
}
