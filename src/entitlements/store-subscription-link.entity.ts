import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Store } from './domain';

/** Global lookup: which account holds a store subscription (null while unlinked). */
@Entity({ name: 'store_subscription_links' })
export class StoreSubscriptionLinkEntity {
  @PrimaryColumn({
    type: 'varchar',
    length: 16,
    primaryKeyConstraintName: 'PK_store_subscription_links',
  })
  store!: Store;

  @PrimaryColumn({
    name: 'store_subscription_id',
    type: 'text',
    primaryKeyConstraintName: 'PK_store_subscription_links',
  })
  storeSubscriptionId!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64, nullable: true })
  accountId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
