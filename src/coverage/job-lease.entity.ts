import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import type { ModelClass } from '../catalog/catalog.types';
import { numericColumn } from './numeric-column';

/** Lifecycle of an admitted job. Only `running` covered jobs hold a concurrency slot. */
export type JobStatus = 'running' | 'completed' | 'failed' | 'canceled' | 'timed_out' | 'refunded';
export const JOB_STATUSES: readonly JobStatus[] = [
  'running',
  'completed',
  'failed',
  'canceled',
  'timed_out',
  'refunded',
];

/**
 * One job the gateway asked to start (`POST /v1/jobs`), covered or not: its lease, its outcome and
 * the first answer given for it (replayed to a retry with the same `jobId`).
 */
@Entity({ name: 'job_leases' })
@Unique('UQ_job_leases_job_id', ['jobId'])
@Index('IDX_job_leases_account_status_class', ['accountId', 'status', 'jobClass'])
export class JobLeaseEntity {
  @PrimaryColumn({
    name: 'account_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_job_leases',
  })
  accountId!: string;

  @PrimaryColumn({
    name: 'job_id',
    type: 'varchar',
    length: 128,
    primaryKeyConstraintName: 'PK_job_leases',
  })
  jobId!: string;

  @Column({ name: 'job_class', type: 'varchar', length: 16 })
  jobClass!: ModelClass;

  @Column({ name: 'model_id', type: 'varchar', length: 128 })
  modelId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: JobStatus;

  /** Admitted under the subscription (holds a slot while running; counts when completed). */
  @Column({ type: 'boolean' })
  covered!: boolean;

  /** Admitted during a free trial: counts against the trial allowances. */
  @Column({ type: 'boolean' })
  trial!: boolean;

  @Column({ type: 'varchar', length: 40 })
  reason!: string;

  /** HTTP status of the first answer (201 or 200), replayed with it. */
  @Column({ name: 'http_status', type: 'smallint' })
  httpStatus!: number;

  /** Digest of the admission request: a `jobId` reused for another job is refused. */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash!: string;

  /** The first answer's body. */
  @Column({ type: 'jsonb' })
  decision!: Record<string, unknown>;

  /** Render-Spark estimate of the job: its fair-use and trial weight once completed. */
  @Column(numericColumn('render_spark'))
  renderSpark!: number;

  /** The UTC day whose usage counts this job (set while a completed covered job is counted). */
  @Column({ name: 'counted_day', type: 'date', nullable: true })
  countedDay!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz' })
  leaseExpiresAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
