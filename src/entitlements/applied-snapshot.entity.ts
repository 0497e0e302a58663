import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MergeOutcome, Store, SubscriptionSnapshotJson } from './domain';

/**
 * Every snapshot ever applied to a subscription, stale ones included: the log replay folds.
 * Kept because a Google or Stripe re-read cannot be reproduced from the raw event alone.
 */
@Entity({ name: 'applied_snapshots' })
@Index('IDX_applied_snapshots_inbox_event', ['inboxEventId'])
export class AppliedSnapshotEntity {
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'PK_applied_snapshots' })
  store!: Store;

  @PrimaryColumn({
    name: 'store_subscription_id',
    type: 'text',
    primaryKeyConstraintName: 'PK_applied_snapshots',
  })
  storeSubscriptionId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_applied_snapshots' })
  id!: string;

  /** The account the snapshot itself named (null: none). */
  @Column({ name: 'account_id', type: 'varchar', length: 64, nullable: true })
  accountId!: string | null;

  @Column({ name: 'inbox_event_id', type: 'uuid', nullable: true })
  inboxEventId!: string | null;

  @Column({ name: 'observed_at', type: 'timestamptz' })
  observedAt!: Date;

  @Column({ type: 'varchar', length: 16 })
  outcome!: MergeOutcome;

  @Column({ type: 'jsonb' })
  snapshot!: SubscriptionSnapshotJson;

  @Column({ name: 'applied_at', type: 'timestamptz' })
  appliedAt!: Date;
}
