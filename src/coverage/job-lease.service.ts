import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import type { ModelClass } from '../catalog/catalog.types';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { coverageError, CoverageErrorCode } from './coverage-errors';
import type { SqlRunner } from './coverage-counters';
import { utcDay } from './domain';
import type { FinishResponseDto, HeartbeatResponseDto } from './dto/coverage-decision.dto';
import type { JobOutcome } from './dto/finish-job.dto';
import type { JobStatus } from './job-lease.entity';

interface LeaseRow {
  account_id: string;
  job_id: string;
  job_class: ModelClass;
  status: JobStatus;
  covered: boolean;
  trial: boolean;
  render_spark: string;
  counted_day: string | null;
  lease_expires_at: Date;
  finished_at: Date | null;
}

/**
 * Heartbeats and outcomes of admitted jobs. A heartbeat extends a live lease by its class's lease
 * duration; an expired lease is timed out (its slot is free) and answers 409. Only a completed
 * covered job is added to the day's usage (fair use, trial allowances); a refund after completion
 * takes it off the day it was counted.
 */
@Injectable()
export class JobLeaseService {
  private readonly outcomes;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('coverage_job_outcomes_total', 'Finished jobs by outcome', [
      'outcome',
      'covered',
    ]);
  }

  async heartbeat(jobId: string): Promise<HeartbeatResponseDto> {
    const now = this.clock.now();
    const row = await this.find(this.dataSource, jobId, false);
    if (row === null) throw coverageError(CoverageErrorCode.JobNotFound);
    if (row.status !== 'running') throw coverageError(CoverageErrorCode.JobFinished);
    const extended = new Date(
      now.getTime() + this.config.coverage.leaseSeconds[row.job_class] * 1000,
    );
    const rows = (await this.dataSource.query(
      `UPDATE job_leases SET lease_expires_at = GREATEST(lease_expires_at, $2)
        WHERE job_id = $1 AND status = 'running' AND lease_expires_at > $3
        RETURNING lease_expires_at`,
      [jobId, extended, now],
    )) as [{ lease_expires_at: Date }[], number];
    const updated = rows[0][0];
    if (updated === undefined) {
      if (await this.timeOutIfExpired(jobId, now)) {
        throw coverageError(CoverageErrorCode.LeaseExpired);
      }
      throw coverageError(CoverageErrorCode.JobFinished);
    }
    return {
      jobId,
      status: 'running',
      leaseExpiresAt: new Date(updated.lease_expires_at).toISOString(),
    };
  }

  async finish(jobId: string, outcome: JobOutcome): Promise<FinishResponseDto> {
    const now = this.clock.now();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let expired = false;
    let response: FinishResponseDto;
    try {
      await runner.startTransaction();
      const row = await this.find(runner, jobId, true);
      if (row === null) throw coverageError(CoverageErrorCode.JobNotFound);
      if (row.status === 'running' && row.lease_expires_at.getTime() <= now.getTime()) {
        await runner.query(
          `UPDATE job_leases SET status = 'timed_out', finished_at = lease_expires_at WHERE job_id = $1`,
          [jobId],
        );
        row.status = 'timed_out';
        row.finished_at = row.lease_expires_at;
        expired = true;
      }
      response = await this.apply(runner, row, outcome, now, expired);
      await runner.commitTransaction();
    } catch (e) {
      if (runner.isTransactionActive) {
        // A lease found expired stays timed out even though the outcome is refused.
        if (expired) await runner.commitTransaction().catch(() => undefined);
        else await runner.rollbackTransaction().catch(() => undefined);
      }
      throw e;
    } finally {
      await runner.release();
    }
    this.outcomes.inc({ outcome: response.status, covered: String(response.covered) });
    return response;
  }

  private async apply(
    runner: QueryRunner,
    row: LeaseRow,
    outcome: JobOutcome,
    now: Date,
    expired: boolean,
  ): Promise<FinishResponseDto> {
    const spark = Number(row.render_spark);
    const answer = (status: JobStatus, finishedAt: Date, counted: boolean): FinishResponseDto => ({
      jobId: row.job_id,
      accountId: row.account_id,
      status,
      covered: row.covered,
      countedRenderSpark: counted ? spark : 0,
      finishedAt: finishedAt.toISOString(),
    });

    if (row.status === outcome) {
      // The same outcome again (a retried finish): nothing changes.
      return answer(row.status, row.finished_at ?? now, row.counted_day !== null);
    }
    if (row.status === 'running') {
      const counts = outcome === 'completed' && row.covered;
      const day = counts ? utcDay(now) : null;
      await runner.query(
        `UPDATE job_leases SET status = $2, finished_at = $3, counted_day = $4::date WHERE job_id = $1`,
        [row.job_id, outcome, now, day],
      );
      if (day !== null) await addUsage(runner, row, day, 1, now);
      return answer(outcome, now, counts);
    }
    if (row.status === 'completed' && outcome === 'refunded') {
      await runner.query(
        `UPDATE job_leases SET status = 'refunded', counted_day = NULL WHERE job_id = $1`,
        [row.job_id],
      );
      if (row.counted_day !== null) await addUsage(runner, row, row.counted_day, -1, now);
      return answer('refunded', row.finished_at ?? now, false);
    }
    throw coverageError(
      expired ? CoverageErrorCode.LeaseExpired : CoverageErrorCode.JobFinished,
      expired
        ? undefined
        : `The job is already ${row.status.replace('_', ' ')}; it cannot become ${outcome.replace('_', ' ')}.`,
    );
  }

  private async find(db: SqlRunner, jobId: string, forUpdate: boolean): Promise<LeaseRow | null> {
    const rows = (await db.query(
      `SELECT account_id, job_id, job_class, status, covered, trial, render_spark, counted_day,
              lease_expires_at, finished_at
         FROM job_leases WHERE job_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [jobId],
    )) as LeaseRow[];
    const row = rows[0];
    if (row === undefined) return null;
    return {
      ...row,
      lease_expires_at: new Date(row.lease_expires_at),
      finished_at: row.finished_at === null ? null : new Date(row.finished_at),
      counted_day: row.counted_day === null ? null : dayString(row.counted_day),
    };
  }

  /** Times the job out when its lease ran out; true when it did. */
  private async timeOutIfExpired(jobId: string, now: Date): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `UPDATE job_leases SET status = 'timed_out', finished_at = lease_expires_at
        WHERE job_id = $1 AND status = 'running' AND lease_expires_at <= $2
        RETURNING job_id`,
      [jobId, now],
    )) as [unknown[], number];
    return rows[0].length > 0;
  }
}

/** Adds (sign 1) or takes off (sign -1) one completed covered job from a day's usage. */
async function addUsage(
  runner: QueryRunner,
  row: LeaseRow,
  day: string,
  sign: 1 | -1,
  now: Date,
): Promise<void> {
  const spark = sign * Number(row.render_spark);
  const trialJobs = row.trial ? sign : 0;
  const trialSpark = row.trial ? spark : 0;
  await runner.query(
    `INSERT INTO coverage_daily_usage
       (account_id, day, render_spark, completed_jobs, trial_jobs, trial_render_spark, updated_at)
     VALUES ($1, $2::date, GREATEST($3::numeric, 0), GREATEST($4::int, 0), GREATEST($5::int, 0),
             GREATEST($6::numeric, 0), $7)
     ON CONFLICT (account_id, day) DO UPDATE SET
       render_spark = GREATEST(coverage_daily_usage.render_spark + $3::numeric, 0),
       completed_jobs = GREATEST(coverage_daily_usage.completed_jobs + $4::int, 0),
       trial_jobs = GREATEST(coverage_daily_usage.trial_jobs + $5::int, 0),
       trial_render_spark = GREATEST(coverage_daily_usage.trial_render_spark + $6::numeric, 0),
       updated_at = $7`,
    [row.account_id, day, spark, sign, trialJobs, trialSpark, now],
  );
}

/** A `date` column as `YYYY-MM-DD` (the driver may hand back a string or a local-midnight Date). */
function dayString(value: string | Date): string {
  if (typeof value === 'string') return value.slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}
