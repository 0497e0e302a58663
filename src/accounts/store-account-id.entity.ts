import { Column, Entity, PrimaryColumn } from 'typeorm';

export type StoreIdKind = 'apple' | 'google';

/** Global lookup from an issued store id back to its account; its key keeps ids unique. */
@Entity({ name: 'store_account_ids' })
export class StoreAccountIdEntity {
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'PK_store_account_ids' })
  kind!: StoreIdKind;

  @PrimaryColumn({
    name: 'store_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_store_account_ids',
  })
  storeId!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
