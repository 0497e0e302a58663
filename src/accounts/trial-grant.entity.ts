import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Store } from '../entitlements/domain';

/** One free trial a person has had, with the signals that identify the person. */
@Entity({ name: 'trial_grants' })
@Index('IDX_trial_grants_payment_fingerprint', ['paymentFingerprint'])
@Index('IDX_trial_grants_device_id', ['deviceId'])
export class TrialGrantEntity {
  /** '' when the purchase is not linked to an account (its other signals still count). */
  @PrimaryColumn({
    name: 'account_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_trial_grants',
  })
  accountId!: string;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'PK_trial_grants' })
  store!: Store;

  @PrimaryColumn({
    name: 'store_subscription_id',
    type: 'text',
    primaryKeyConstraintName: 'PK_trial_grants',
  })
  storeSubscriptionId!: string;

  @Column({ name: 'payment_fingerprint', type: 'varchar', length: 255, nullable: true })
  paymentFingerprint!: string | null;

  @Column({ name: 'device_id', type: 'varchar', length: 255, nullable: true })
  deviceId!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
