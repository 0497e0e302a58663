import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `coverage_admission_read`: the locked first half of a job admission, in one call (so in the
 * round trip of the transaction's BEGIN). It takes the account's admission lock (creating its
 * lock row on the account's first admission), marks the account's expired running leases timed
 * out, and returns as one JSON object everything the decision needs:
 * `stored` (the answer already stored for the job id, or null), `subscriptions` and `suspended`
 * (the entitlement's rows), `today`, `trialTotal`, `running`, `runningSpark` and `nextExpiry`
 * (the counters).
 *
 * The reads run after the lock is held: a PL/pgSQL function takes a fresh snapshot for each
 * statement (read committed), so they see every admission committed before the lock was granted.
 * One statement could not: its snapshot would predate the wait for the lock.
 *
 * The read is the one the coverage check makes (`ENTITLEMENT_COLUMNS`, `COUNTER_COLUMNS` and
 * `LIVE_LEASES` in the service) with the stored answer added; a spec holds the two equal.
 */
export class CreateAdmissionReadFunction1795300000400 implements MigrationInterface {
  name = 'CreateAdmissionReadFunction1795300000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE FUNCTION coverage_admission_read(
  p_account_id character varying, p_day date, p_now timestamptz, p_with_trial_total boolean,
  p_job_id character varying)
RETURNS json
LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
  result json;
BEGIN
  PERFORM 1 FROM coverage_admission_locks WHERE account_id = p_account_id FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO coverage_admission_locks (account_id) VALUES (p_account_id)
      ON CONFLICT (account_id) DO NOTHING;
    PERFORM 1 FROM coverage_admission_locks WHERE account_id = p_account_id FOR UPDATE;
  END IF;

  UPDATE job_leases SET status = 'timed_out', finished_at = lease_expires_at
   WHERE account_id = p_account_id AND status = 'running' AND lease_expires_at <= p_now;

  SELECT json_build_object(
    'stored', (SELECT json_build_object(
                        'account_id', s.account_id,
                        'request_hash', s.request_hash,
                        'http_status', s.http_status,
                        'decision', s.decision)
                 FROM job_leases s WHERE s.job_id = p_job_id),
    'subscriptions', (SELECT coalesce(json_agg(es.state ORDER BY es.store, es.store_subscription_id),
                                      '[]'::json)
                        FROM store_subscriptions es WHERE es.account_id = p_account_id),
    'suspended', EXISTS (SELECT 1 FROM accounts ea
                          WHERE ea.id = p_account_id AND ea.suspended_at IS NOT NULL),
    'today', (SELECT json_build_object(
                       'renderSpark', u.render_spark::float8,
                       'completedJobs', u.completed_jobs,
                       'trialJobs', u.trial_jobs)
                FROM coverage_daily_usage u
               WHERE u.account_id = p_account_id AND u.day = p_day),
    'trialTotal', CASE WHEN p_with_trial_total
                    THEN (SELECT coalesce(sum(t.trial_render_spark), 0)::float8
                            FROM coverage_daily_usage t WHERE t.account_id = p_account_id)
                    ELSE 0::float8 END,
    'running', r.running,
    'runningSpark', r.spark,
    'nextExpiry', r.first_expiry)
  INTO result
  FROM (SELECT json_object_agg(g.job_class, g.n) AS running,
               coalesce(sum(g.spark), 0)::float8 AS spark,
               min(g.first_expiry) AS first_expiry
          FROM (SELECT job_class, count(*)::int AS n, sum(render_spark) AS spark,
                       min(lease_expires_at) AS first_expiry
                  FROM job_leases
                 WHERE account_id = p_account_id AND status = 'running' AND covered
                   AND lease_expires_at > p_now
                 GROUP BY job_class) g) r;
  RETURN result;
END
$fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION coverage_admission_read(character varying, date, timestamptz, boolean, character varying)`,
    );
  }
}
