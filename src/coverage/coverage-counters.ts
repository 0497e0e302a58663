import type { ModelClass } from '../catalog/catalog.types';
import type { SqlRunner, SqlStatement } from './coverage-database';
import { nextUtcMidnight, utcDay, type RunningJobs, type UsageSnapshot } from './domain';

/** What the decision counts, read in one round trip. */
export interface CoverageCounters {
  usage: UsageSnapshot;
  running: RunningJobs;
  /** Covered jobs completed this UTC day (trial or not), for the dashboard. */
  completedJobsToday: number;
  /** The earliest expiry of the counted leases: from then on one of them no longer counts. */
  nextLeaseExpiry: Date | null;
}

/**
 * The Postgres channel that announces, on commit, that an account's counters changed (payload:
 * the account id): a lease taken, a job finished, a completed job refunded. Heartbeats and the
 * marking of expired leases as timed out do not change what is counted before the counted
 * leases' earliest expiry, which bounds every cached read (see `countersValidUntil`).
 */
export const COUNTERS_CHANGED_CHANNEL = 'coverage_counters_changed';

export interface CountersRow {
  today: { renderSpark: number; completedJobs: number; trialJobs: number } | null;
  trialTotal: number;
  running: Record<string, number> | null;
  runningSpark: number;
  nextExpiry: Date | string | null;
}

/** What a counters read is about, as SQL expressions of its statement. */
export interface CounterTerms {
  /** The account id. */
  account: string;
  /** Its UTC day (a date). */
  day: string;
  /** The time the live leases are counted at (a timestamptz). */
  at: string;
  /** Whether to sum the trial total (it reads all of the account's days). */
  withTrialTotal: string;
}

/**
 * The counters' columns: today's completed usage, and the covered jobs holding a live lease
 * (`lease_expires_at` after `at`) by class, their render-Spark and their earliest expiry (the
 * last three from `liveLeases`, which must be the statement's `FROM` or a lateral join).
 */
export function counterColumns(terms: CounterTerms): string {
  const { account, day, withTrialTotal } = terms;
  return `
  (SELECT json_build_object(
            'renderSpark', u.render_spark::float8,
            'completedJobs', u.completed_jobs,
            'trialJobs', u.trial_jobs)
     FROM coverage_daily_usage u
    WHERE u.account_id = ${account} AND u.day = ${day}) AS "today",
  CASE WHEN ${withTrialTotal}
    THEN (SELECT coalesce(sum(t.trial_render_spark), 0)::float8
            FROM coverage_daily_usage t WHERE t.account_id = ${account})
    ELSE 0::float8 END AS "trialTotal",
  r.running AS "running",
  r.spark AS "runningSpark",
  r.first_expiry AS "nextExpiry"`;
}

/** The live leases of `counterColumns`, as a subquery aliased `r`. */
export function liveLeases(account: string, at: string): string {
  return `
  (SELECT json_object_agg(g.job_class, g.n) AS running,
          coalesce(sum(g.spark), 0)::float8 AS spark,
          min(g.first_expiry) AS first_expiry
     FROM (SELECT job_class, count(*)::int AS n, sum(render_spark) AS spark,
                  min(lease_expires_at) AS first_expiry
             FROM job_leases
            WHERE account_id = ${account} AND status = 'running' AND covered AND lease_expires_at > ${at}
            GROUP BY job_class) g) r`;
}

/** The counters' columns for one account: `$1` account, `$2` UTC day, `$3` now, `$4` trial total. */
export const COUNTER_COLUMNS = counterColumns({
  account: '$1',
  day: '$2::date',
  at: '$3::timestamptz',
  withTrialTotal: '$4::boolean',
});

/** The `FROM` of a statement with `COUNTER_COLUMNS`. */
export const LIVE_LEASES = liveLeases('$1', '$3::timestamptz');

const COUNTERS: SqlStatement = {
  name: 'coverage_counters_v1',
  text: `SELECT ${COUNTER_COLUMNS} FROM ${LIVE_LEASES}`,
};

/** The parameters of `COUNTER_COLUMNS` (`$1` to `$4`). */
export function counterParams(accountId: string, now: Date, withTrialTotal: boolean): unknown[] {
  return [accountId, utcDay(now), now, withTrialTotal];
}

export function countersFromRow(row: CountersRow): CoverageCounters {
  const today = row.today;
  const byClass: Partial<Record<ModelClass, number>> = {};
  for (const [cls, n] of Object.entries(row.running ?? {})) byClass[cls as ModelClass] = n;
  return {
    usage: {
      renderSparkToday: today?.renderSpark ?? 0,
      trialJobsToday: today?.trialJobs ?? 0,
      trialRenderSparkTotal: Number(row.trialTotal),
    },
    running: { byClass, renderSpark: Number(row.runningSpark) },
    completedJobsToday: today?.completedJobs ?? 0,
    nextLeaseExpiry: row.nextExpiry === null ? null : new Date(row.nextExpiry),
  };
}

/** Today's usage and the live leases at `now` (the trial total only when asked). */
export async function readCoverageCounters(
  db: SqlRunner,
  accountId: string,
  now: Date,
  withTrialTotal: boolean,
): Promise<CoverageCounters> {
  const rows = await db.query<CountersRow>(COUNTERS, counterParams(accountId, now, withTrialTotal));
  return countersFromRow(rows[0]);
}

/**
 * Counters read at `readAt` hold until the next UTC midnight (the day's usage resets) or the
 * earliest expiry of a counted lease (it stops counting), whichever comes first, unless a change
 * is announced before.
 */
export function countersValidUntil(counters: CoverageCounters, readAt: Date): number {
  const midnight = nextUtcMidnight(readAt).getTime();
  const expiry = counters.nextLeaseExpiry?.getTime();
  return expiry === undefined ? midnight : Math.min(midnight, expiry);
}
