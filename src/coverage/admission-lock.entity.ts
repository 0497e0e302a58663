import { Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per account, locked `FOR UPDATE` by every admission of the account: admissions of one
 * account take turns (in every instance), so the running jobs they count are exact. Other accounts
 * never wait. Per account rather than per class so the account-wide trial caps are exact too.
 */
@Entity({ name: 'coverage_admission_locks' })
export class AdmissionLockEntity {
  @PrimaryColumn({
    name: 'account_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_coverage_admission_locks',
  })
  accountId!: string;
}
