import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { PlanId, Store } from './domain';

/** One line of an account's history: a named transition, a link, a suspension... */
@Entity({ name: 'entitlement_history' })
@Index('IDX_entitlement_history_account_time', ['accountId', 'occurredAt'])
@Index('IDX_entitlement_history_subscription', ['store', 'storeSubscriptionId'])
export class EntitlementHistoryEntity {
  /** '' for a purchase not linked to any account yet (moved to the account when linked). */
  @PrimaryColumn({
    name: 'account_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_entitlement_history',
  })
  accountId!: string;

  /** Insertion order, the tie-break between entries of one instant (bigint: a string in JS). */
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'BY DEFAULT',
    primaryKeyConstraintName: 'PK_entitlement_history',
  })
  id!: string;

  @Column({ type: 'varchar', length: 16, nullable: true })
  store!: Store | null;

  @Column({ name: 'store_subscription_id', type: 'text', nullable: true })
  storeSubscriptionId!: string | null;

  @Column({ type: 'varchar', length: 32 })
  transition!: string;

  @Column({ name: 'from_state', type: 'varchar', length: 16, nullable: true })
  fromState!: string | null;

  @Column({ name: 'to_state', type: 'varchar', length: 16, nullable: true })
  toState!: string | null;

  @Column({ name: 'from_plan', type: 'varchar', length: 32, nullable: true })
  fromPlan!: PlanId | null;

  @Column({ name: 'to_plan', type: 'varchar', length: 32, nullable: true })
  toPlan!: PlanId | null;

  @Column({ type: 'jsonb' })
  details!: Record<string, unknown>;

  @Column({ name: 'inbox_event_id', type: 'uuid', nullable: true })
  inboxEventId!: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;
}
