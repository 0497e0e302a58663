import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The newest version seen of a Stripe object (subscription, schedule, invoice, invoice payment,
 * price, payment method), from webhook payloads or API reads. It lets the service combine objects
 * that arrive in separate events (a subscription and its schedule) and link a refunded charge to
 * its invoice without calling the API.
 */
@Entity({ name: 'stripe_objects' })
@Index('IDX_stripe_objects_subscription', ['subscriptionId', 'object'])
@Index('IDX_stripe_objects_lookup', ['object', 'lookupRef'])
export class StripeObjectEntity {
  /** The Stripe id (`sub_…`, `sub_sched_…`, `in_…`, `inpay_…`, `price_…`, `pm_…`). */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_stripe_objects' })
  id!: string;

  /** Stripe's `object` field. */
  @Column({ type: 'varchar', length: 64 })
  object!: string;

  /** The subscription the object belongs to, when it has one. */
  @Column({ name: 'subscription_id', type: 'text', nullable: true })
  subscriptionId!: string | null;

  /** A secondary key: the PaymentIntent of an invoice payment, the customer of a subscription. */
  @Column({ name: 'lookup_ref', type: 'text', nullable: true })
  lookupRef!: string | null;

  /** When this version was true (event.created, or the API read time). */
  @Column({ name: 'observed_at', type: 'timestamptz' })
  observedAt!: Date;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
