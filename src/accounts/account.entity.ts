import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An account as this service knows it: created lazily (store ids issued, suspension). */
@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_accounts' })
  id!: string;

  @Column({ name: 'suspended_at', type: 'timestamptz', nullable: true })
  suspendedAt!: Date | null;

  @Column({ name: 'suspension_reason', type: 'varchar', length: 500, nullable: true })
  suspensionReason!: string | null;

  @Column({ name: 'suspension_source', type: 'varchar', length: 32, nullable: true })
  suspensionSource!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
