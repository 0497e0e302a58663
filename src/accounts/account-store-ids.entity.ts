import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The store ids issued to one account (one row per account, issued on first request). */
@Entity({ name: 'account_store_ids' })
export class AccountStoreIdsEntity {
  @PrimaryColumn({
    name: 'account_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_account_store_ids',
  })
  accountId!: string;

  @Column({ name: 'apple_app_account_token', type: 'uuid' })
  appleAppAccountToken!: string;

  @Column({ name: 'google_obfuscated_account_id', type: 'varchar', length: 64 })
  googleObfuscatedAccountId!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
