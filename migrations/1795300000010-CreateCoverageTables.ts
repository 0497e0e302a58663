import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job leases, daily covered usage and the per-account admission lock rows.
 *
 * Distribution (SPEC §10, Citus): every table is keyed by `account_id` first. `job_leases` also
 * keeps `job_id` unique across accounts (heartbeat and finish name only the job); under Citus that
 * constraint becomes per shard, which is enough for gateway-made job ids (UUIDs).
 */
export class CreateCoverageTables1795300000010 implements MigrationInterface {
  name = 'CreateCoverageTables1795300000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "job_leases" (
        "account_id" character varying(64) NOT NULL,
        "job_id" character varying(128) NOT NULL,
        "job_class" character varying(16) NOT NULL,
        "model_id" character varying(128) NOT NULL,
        "status" character varying(16) NOT NULL,
        "covered" boolean NOT NULL,
        "trial" boolean NOT NULL,
        "reason" character varying(40) NOT NULL,
        "http_status" smallint NOT NULL,
        "request_hash" character varying(64) NOT NULL,
        "decision" jsonb NOT NULL,
        "render_spark" numeric(14,4) NOT NULL,
        "counted_day" date,
        "lease_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "finished_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_job_leases" PRIMARY KEY ("account_id", "job_id"),
        CONSTRAINT "UQ_job_leases_job_id" UNIQUE ("job_id")
      )`);
    await q.query(
      `CREATE INDEX "IDX_job_leases_account_status_class" ON "job_leases" ("account_id", "status", "job_class")`,
    );
    await q.query(`
      CREATE TABLE "coverage_daily_usage" (
        "account_id" character varying(64) NOT NULL,
        "day" date NOT NULL,
        "render_spark" numeric(14,4) NOT NULL DEFAULT 0,
        "completed_jobs" integer NOT NULL DEFAULT 0,
        "trial_jobs" integer NOT NULL DEFAULT 0,
        "trial_render_spark" numeric(14,4) NOT NULL DEFAULT 0,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_coverage_daily_usage" PRIMARY KEY ("account_id", "day")
      )`);
    await q.query(`
      CREATE TABLE "coverage_admission_locks" (
        "account_id" character varying(64) NOT NULL,
        CONSTRAINT "PK_coverage_admission_locks" PRIMARY KEY ("account_id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "coverage_admission_locks"`);
    await q.query(`DROP TABLE "coverage_daily_usage"`);
    await q.query(`DROP INDEX "IDX_job_leases_account_status_class"`);
    await q.query(`DROP TABLE "job_leases"`);
  }
}
