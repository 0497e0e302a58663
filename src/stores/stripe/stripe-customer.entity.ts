import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Which account a Stripe customer belongs to (learned at Checkout, from metadata, or the API). */
@Entity({ name: 'stripe_customers' })
@Index('IDX_stripe_customers_account', ['accountId', 'observedAt'])
export class StripeCustomerEntity {
  @PrimaryColumn({
    name: 'customer_id',
    type: 'varchar',
    length: 255,
    primaryKeyConstraintName: 'PK_stripe_customers',
  })
  customerId!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  /** How the link was learned: `checkout`, `subscription_metadata`, `customer_metadata`. */
  @Column({ type: 'varchar', length: 32 })
  source!: string;

  /** When the link was true (newest wins). */
  @Column({ name: 'observed_at', type: 'timestamptz' })
  observedAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
