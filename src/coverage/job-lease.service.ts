import { Inject, Injectable } from '@nestjs/common';
import type { ModelClass } from '../catalog/catalog.types';
import type { AppException } from '../common/errors/app.exception';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { GroupCommitter } from '../common/group-commit';
import { MetricsService } from '../metrics/metrics.service';
import { coverageError, CoverageErrorCode } from './coverage-errors';
import { CountersChangeAnnouncer } from './counters-change.announcer';
import {
  CoverageDatabase,
  isDeadlock,
  type SqlRunner,
  type SqlStatement,
} from './coverage-database';
import { utcDay } from './domain';
import type { FinishResponseDto, HeartbeatResponseDto } from './dto/coverage-decision.dto';
import type { JobOutcome } from './dto/finish-job.dto';
import { JOB_STATUSES, type JobStatus } from './job-lease.entity';

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

interface FinishedRow {
  job_id: string;
  account_id: string;
  covered: boolean;
  render_spark: string;
  counted: boolean;
}

/** What the locked finish decided: the answer or the refusal, and whether the counters changed. */
type Settled =
  | { response: FinishResponseDto; countersChanged: boolean }
  | { refusal: AppException; countersChanged: false };

const FIND_LEASE: SqlStatement = {
  name: 'coverage_lease_find_v1',
  text: `SELECT account_id, job_id, job_class, status, covered, trial, render_spark, counted_day,
                lease_expires_at, finished_at
           FROM job_leases WHERE job_id = $1`,
};

const LOCK_LEASE: SqlStatement = {
  name: 'coverage_lease_lock_v1',
  text: `${FIND_LEASE.text} FOR UPDATE`,
};

/**
 * A heartbeat in one statement: a running job's live lease is extended to now plus its class's
 * lease (`$3`: seconds by class, as JSON), never shortened. Anything else matches no row.
 */
const EXTEND_LEASE: SqlStatement = {
  name: 'coverage_lease_extend_v2',
  text: `UPDATE job_leases
            SET lease_expires_at = GREATEST(lease_expires_at,
                  $2::timestamptz + ($3::jsonb ->> job_class)::int * interval '1 second')
          WHERE job_id = $1 AND status = 'running' AND lease_expires_at > $2::timestamptz
          RETURNING lease_expires_at`,
};

/**
 * The usual finishes of a batch in one statement (`$1`..`$4`: job ids, outcomes, times, UTC
 * days, one element per finish, a job id at most once): a running job whose lease is live gets
 * its outcome; completed covered jobs are added to their day's usage. Anything else (no such job,
 * already finished, lease run out, a refund) matches no row and takes the locked path. The input
 * and the usage rows go in the order of their keys, so two batches seldom wait on each other in a
 * circle; when they do, Postgres ends one (a deadlock) and its finishes are sent again one by one.
 */
const FINISH_RUNNING: SqlStatement = {
  name: 'coverage_lease_finish_v3',
  replan: true,
  text: `
WITH input AS (
  SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[], $4::date[])
           AS i(job_id, outcome, at, day)
   ORDER BY i.job_id),
finished AS (
  UPDATE job_leases l
     SET status = i.outcome, finished_at = i.at,
         counted_day = CASE WHEN i.outcome = 'completed' AND l.covered THEN i.day END
    FROM input i
   WHERE l.job_id = i.job_id AND l.status = 'running' AND l.lease_expires_at > i.at
  RETURNING l.job_id, l.account_id, l.covered, l.trial, l.render_spark, l.counted_day, i.at),
counted AS (
  INSERT INTO coverage_daily_usage AS d
    (account_id, day, render_spark, completed_jobs, trial_jobs, trial_render_spark, updated_at)
  SELECT account_id, counted_day, sum(render_spark), count(*),
         count(*) FILTER (WHERE trial), coalesce(sum(render_spark) FILTER (WHERE trial), 0),
         max(at)
    FROM finished WHERE counted_day IS NOT NULL
   GROUP BY account_id, counted_day
   ORDER BY account_id, counted_day
  ON CONFLICT (account_id, day) DO UPDATE SET
    render_spark = d.render_spark + EXCLUDED.render_spark,
    completed_jobs = d.completed_jobs + EXCLUDED.completed_jobs,
    trial_jobs = d.trial_jobs + EXCLUDED.trial_jobs,
    trial_render_spark = d.trial_render_spark + EXCLUDED.trial_render_spark,
    updated_at = EXCLUDED.updated_at)
SELECT f.job_id, f.account_id, f.covered, f.render_spark, f.counted_day IS NOT NULL AS counted
  FROM finished f`,
};

/** One finish on its way through a batch. */
interface FinishItem {
  jobId: string;
  outcome: JobOutcome;
  now: Date;
}

/** Finishes in a batch, at most (see `GroupCommitter`), and batches in flight at once. */
const FINISH_BATCH_MAX = 64;
const FINISH_BATCH_MAX_IN_FLIGHT = 2;

/**
 * Heartbeats and outcomes of admitted jobs. A heartbeat extends a live lease by its class's lease
 * duration; an expired lease is timed out (its slot is free) and answers 409. Only a completed
 * covered job is added to the day's usage (fair use, trial allowances); a refund after completion
 * takes it off the day it was counted.
 *
 * A finish that changes what an account counts announces it after its commit
 * (`CountersChangeAnnouncer`). A heartbeat does not: it only moves a live lease's expiry later,
 * and cached counters are never used past the earliest expiry they were read with.
 */
@Injectable()
export class JobLeaseService {
  private readonly outcomes;
  private readonly leaseSecondsJson: string;
  /** The usual finishes, together: what arrived while a batch was in flight goes in the next. */
  private readonly finishes = new GroupCommitter<FinishItem, FinishedRow | undefined>(
    (items) => this.finishRunning(items),
    {
      maxItems: FINISH_BATCH_MAX,
      maxInFlight: FINISH_BATCH_MAX_IN_FLIGHT,
      keys: (item) => [item.jobId],
      retryAlone: isDeadlock,
    },
  );

  constructor(
    private readonly db: CoverageDatabase,
    private readonly countersChanged: CountersChangeAnnouncer,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    const outcomes = metrics.counter('coverage_job_outcomes_total', 'Finished jobs by outcome', [
      'outcome',
      'covered',
    ]);
    this.outcomes = {
      true: metrics.tallyEach(outcomes, 'outcome', JOB_STATUSES, { covered: 'true' }),
      false: metrics.tallyEach(outcomes, 'outcome', JOB_STATUSES, { covered: 'false' }),
    };
    this.leaseSecondsJson = JSON.stringify(config.coverage.leaseSeconds);
  }

  async heartbeat(jobId: string): Promise<HeartbeatResponseDto> {
    const now = this.clock.now();
    const [updated] = await this.db.query<{ lease_expires_at: Date }>(EXTEND_LEASE, [
      jobId,
      now,
      this.leaseSecondsJson,
    ]);
    if (updated === undefined) {
      const row = await this.find(this.db, jobId, false);
      if (row === null) throw coverageError(CoverageErrorCode.JobNotFound);
      if (row.status === 'running' && (await this.timeOutIfExpired(jobId, now))) {
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
    const finished = await this.finishes.submit({ jobId, outcome, now });
    let response: FinishResponseDto;
    let countersChanged: boolean;
    if (finished !== undefined) {
      const spark = Number(finished.render_spark);
      response = {
        jobId,
        accountId: finished.account_id,
        status: outcome,
        covered: finished.covered,
        countedRenderSpark: finished.counted ? spark : 0,
        finishedAt: now.toISOString(),
      };
      countersChanged = finished.covered;
    } else {
      const settled = await this.db.transaction((tx) => this.settle(tx, jobId, outcome, now));
      // A lease found expired stays timed out even though the outcome is refused.
      if ('refusal' in settled) throw settled.refusal;
      ({ response, countersChanged } = settled);
    }
    if (countersChanged) this.countersChanged.changed(response.accountId);
    this.outcomes[`${response.covered}`][response.status].inc();
    return response;
  }

  /** A batch of finishes in one statement: each one's row, or undefined when it matched none. */
  private async finishRunning(items: FinishItem[]): Promise<(FinishedRow | undefined)[]> {
    const rows = await this.db.query<FinishedRow>(FINISH_RUNNING, [
      items.map((i) => i.jobId),
      items.map((i) => i.outcome),
      items.map((i) => i.now),
      items.map((i) => utcDay(i.now)),
    ]);
    const byJob = new Map(rows.map((row) => [row.job_id, row]));
    return items.map((i) => byJob.get(i.jobId));
  }

  /** Every finish the one statement did not take, under the lease's row lock. */
  private async settle(
    tx: SqlRunner,
    jobId: string,
    outcome: JobOutcome,
    now: Date,
  ): Promise<Settled> {
    const row = await this.find(tx, jobId, true);
    if (row === null) throw coverageError(CoverageErrorCode.JobNotFound);
    let expired = false;
    if (row.status === 'running' && row.lease_expires_at.getTime() <= now.getTime()) {
      await tx.query(
        `UPDATE job_leases SET status = 'timed_out', finished_at = lease_expires_at WHERE job_id = $1`,
        [jobId],
      );
      row.status = 'timed_out';
      row.finished_at = row.lease_expires_at;
      expired = true;
    }
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
      return {
        response: answer(row.status, row.finished_at ?? now, row.counted_day !== null),
        countersChanged: false,
      };
    }
    if (row.status === 'running') {
      const counts = outcome === 'completed' && row.covered;
      const day = counts ? utcDay(now) : null;
      await tx.query(
        `UPDATE job_leases SET status = $2, finished_at = $3, counted_day = $4::date WHERE job_id = $1`,
        [row.job_id, outcome, now, day],
      );
      if (day !== null) await addUsage(tx, row, day, 1, now);
      return { response: answer(outcome, now, counts), countersChanged: row.covered };
    }
    if (row.status === 'completed' && outcome === 'refunded') {
      await tx.query(
        `UPDATE job_leases SET status = 'refunded', counted_day = NULL WHERE job_id = $1`,
        [row.job_id],
      );
      const counted = row.counted_day !== null;
      if (row.counted_day !== null) {
        await addUsage(tx, row, row.counted_day, -1, now);
      }
      return {
        response: answer('refunded', row.finished_at ?? now, false),
        countersChanged: counted,
      };
    }
    return {
      refusal: coverageError(
        expired ? CoverageErrorCode.LeaseExpired : CoverageErrorCode.JobFinished,
        expired
          ? undefined
          : `The job is already ${row.status.replace('_', ' ')}; it cannot become ${outcome.replace('_', ' ')}.`,
      ),
      countersChanged: false,
    };
  }

  private async find(db: SqlRunner, jobId: string, forUpdate: boolean): Promise<LeaseRow | null> {
    const [row] = await db.query<LeaseRow>(forUpdate ? LOCK_LEASE : FIND_LEASE, [jobId]);
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
    const rows = await this.db.query(
      `UPDATE job_leases SET status = 'timed_out', finished_at = lease_expires_at
        WHERE job_id = $1 AND status = 'running' AND lease_expires_at <= $2
        RETURNING job_id`,
      [jobId, now],
    );
    return rows.length > 0;
  }
}

/** Adds (sign 1) or takes off (sign -1) one completed covered job from a day's usage. */
async function addUsage(
  tx: SqlRunner,
  row: LeaseRow,
  day: string,
  sign: 1 | -1,
  now: Date,
): Promise<void> {
  const spark = sign * Number(row.render_spark);
  const trialJobs = row.trial ? sign : 0;
  const trialSpark = row.trial ? spark : 0;
  await tx.query(
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
