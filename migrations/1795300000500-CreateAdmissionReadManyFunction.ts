import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `coverage_admission_read_many`: the locked first half of a batch of job admissions (one per
 * account), in one call. For each account, in the order of its id (so two batches that share
 * accounts lock them in the same order and never deadlock), it calls `coverage_admission_read`:
 * the account's admission lock, its expired leases timed out, then its read. One row per account:
 * `account_id` and `read` (the JSON object `coverage_admission_read` returns).
 *
 * The arrays are parallel, one element per admission: account id, UTC day, now, whether to read
 * the trial total, job id. An account appears at most once.
 */
export class CreateAdmissionReadManyFunction1795300000500 implements MigrationInterface {
  name = 'CreateAdmissionReadManyFunction1795300000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE FUNCTION coverage_admission_read_many(
  p_account_ids character varying[], p_days date[], p_nows timestamptz[],
  p_with_trial_totals boolean[], p_job_ids character varying[])
RETURNS TABLE (account_id character varying, "read" json)
LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
  a record;
BEGIN
  FOR a IN SELECT u.account_id, u.day, u.now, u.with_trial_total, u.job_id
             FROM unnest(p_account_ids, p_days, p_nows, p_with_trial_totals, p_job_ids)
                  AS u(account_id, day, now, with_trial_total, job_id)
            ORDER BY u.account_id
  LOOP
    account_id := a.account_id;
    "read" := coverage_admission_read(a.account_id, a.day, a.now, a.with_trial_total, a.job_id);
    RETURN NEXT;
  END LOOP;
END
$fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION coverage_admission_read_many(character varying[], date[], timestamptz[], boolean[], character varying[])`,
    );
  }
}
