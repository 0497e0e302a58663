import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PlanId, PrimaryState, Store, SubscriptionStateJson } from './domain';

/**
 * The stored state of one store subscription (the state machine's `SubscriptionState` as JSON),
 * with the columns queries filter on copied out of it. `version` is the compare-and-set token.
 */
@Entity({ name: 'store_subscriptions' })
@Index('IDX_store_subscriptions_status_period', ['status', 'currentPeriodEnd'])
@Index('IDX_store_subscriptions_plan', ['plan'])
export class StoreSubscriptionEntity {
  /** '' while the purchase is linked to no account. */
  @PrimaryColumn({
    name: 'account_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_store_subscriptions',
  })
  accountId!: string;

  @PrimaryColumn({
    type: 'varchar',
    length: 16,
    primaryKeyConstraintName: 'PK_store_subscriptions',
  })
  store!: Store;

  @PrimaryColumn({
    name: 'store_subscription_id',
    type: 'text',
    primaryKeyConstraintName: 'PK_store_subscriptions',
  })
  storeSubscriptionId!: string;

  @Column({ type: 'jsonb' })
  state!: SubscriptionStateJson;

  /** The newest snapshot's store status (time-based expiry is derived at read time). */
  @Column({ type: 'varchar', length: 16 })
  status!: PrimaryState;

  @Column({ type: 'varchar', length: 32, nullable: true })
  plan!: PlanId | null;

  @Column({ name: 'current_period_end', type: 'timestamptz', nullable: true })
  currentPeriodEnd!: Date | null;

  @Column({ name: 'observed_at', type: 'timestamptz' })
  observedAt!: Date;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
