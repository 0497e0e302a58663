import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { ModelClass } from '../catalog/catalog.types';
import { utcDay, type RunningJobs, type UsageSnapshot } from './domain';

/** Something that runs SQL: the data source, or the query runner of an open transaction. */
export interface SqlRunner {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

/** What the decision counts, read in one round trip. */
export interface CoverageCounters {
  usage: UsageSnapshot;
  running: RunningJobs;
  /** Covered jobs completed this UTC day (trial or not), for the dashboard. */
  completedJobsToday: number;
}

interface CountersRow {
  today: { renderSpark: number; completedJobs: number; trialJobs: number } | null;
  trialTotal: number;
  running: Record<string, number> | null;
  runningSpark: number;
}

/**
 * Today's completed usage, the trial total (only when asked: it sums the account's days) and the
 * covered jobs holding a live lease (`lease_expires_at` after `now`), by class.
 */
const COUNTERS_SQL = `
SELECT
  (SELECT json_build_object(
            'renderSpark', u.render_spark::float8,
            'completedJobs', u.completed_jobs,
            'trialJobs', u.trial_jobs)
     FROM coverage_daily_usage u
    WHERE u.account_id = $1 AND u.day = $2::date) AS "today",
  CASE WHEN $4::boolean
    THEN (SELECT coalesce(sum(t.trial_render_spark), 0)::float8
            FROM coverage_daily_usage t WHERE t.account_id = $1)
    ELSE 0::float8 END AS "trialTotal",
  (SELECT json_object_agg(r.job_class, r.n)
     FROM (SELECT job_class, count(*)::int AS n
             FROM job_leases
            WHERE account_id = $1 AND status = 'running' AND covered AND lease_expires_at > $3
            GROUP BY job_class) r) AS "running",
  (SELECT coalesce(sum(render_spark), 0)::float8
     FROM job_leases
    WHERE account_id = $1 AND status = 'running' AND covered AND lease_expires_at > $3) AS "runningSpark"
`;

export async function readCoverageCounters(
  db: SqlRunner,
  accountId: string,
  now: Date,
  withTrialTotal: boolean,
): Promise<CoverageCounters> {
  const rows = await db.query<CountersRow[]>(COUNTERS_SQL, [
    accountId,
    utcDay(now),
    now,
    withTrialTotal,
  ]);
  const row = rows[0];
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
  };
}

/**
 * Plain queries straight on the data source's `pg` pool: the coverage check runs one query per
 * request, and TypeORM's query runner around it costs about as much as the query itself.
 */
export function poolRunner(dataSource: DataSource): SqlRunner {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  return {
    query: async <T>(sql: string, parameters?: unknown[]): Promise<T> =>
      (await pool.query(sql, parameters)).rows as T,
  };
}
