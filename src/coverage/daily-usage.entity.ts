import { Column, Entity, PrimaryColumn } from 'typeorm';
import { numericColumn } from './numeric-column';

/**
 * Completed covered usage of one account on one UTC day: what fair use and the trial allowances
 * count. Only completed jobs are added; a refund of a completed job takes it off again.
 */
@Entity({ name: 'coverage_daily_usage' })
export class DailyUsageEntity {
  @PrimaryColumn({
    name: 'account_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_coverage_daily_usage',
  })
  accountId!: string;

  /** `YYYY-MM-DD`, UTC. */
  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'PK_coverage_daily_usage' })
  day!: string;

  @Column(numericColumn('render_spark', true))
  renderSpark!: number;

  @Column({ name: 'completed_jobs', type: 'integer', default: 0 })
  completedJobs!: number;

  @Column({ name: 'trial_jobs', type: 'integer', default: 0 })
  trialJobs!: number;

  @Column(numericColumn('trial_render_spark', true))
  trialRenderSpark!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
