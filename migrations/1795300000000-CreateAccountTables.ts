import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts, the store ids issued to them, and the trial grants of one-trial-per-person.
 *
 * Distribution (SPEC §10, Citus):
 * - `accounts`, `account_store_ids`, `trial_grants`: distributed by `account_id` (`id` for
 *   `accounts`); every key starts with it. The trial-eligibility lookups by payment fingerprint
 *   and device id fan out to all shards (checkout only, never the hot path).
 * - `store_account_ids`: a global lookup from an issued store id (Apple appAccountToken, Google
 *   obfuscated account id) to its account, distributed by `store_id`; its primary key is what keeps
 *   issued ids unique across accounts.
 */
export class CreateAccountTables1795300000000 implements MigrationInterface {
  name = 'CreateAccountTables1795300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "accounts" (
        "id" character varying(64) NOT NULL,
        "suspended_at" TIMESTAMP WITH TIME ZONE,
        "suspension_reason" character varying(500),
        "suspension_source" character varying(32),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_accounts" PRIMARY KEY ("id")
      )`);
    await q.query(`
      CREATE TABLE "account_store_ids" (
        "account_id" character varying(64) NOT NULL,
        "apple_app_account_token" uuid NOT NULL,
        "google_obfuscated_account_id" character varying(64) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_account_store_ids" PRIMARY KEY ("account_id")
      )`);
    await q.query(`
      CREATE TABLE "store_account_ids" (
        "kind" character varying(16) NOT NULL,
        "store_id" character varying(64) NOT NULL,
        "account_id" character varying(64) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_store_account_ids" PRIMARY KEY ("kind", "store_id")
      )`);
    await q.query(`
      CREATE TABLE "trial_grants" (
        "account_id" character varying(64) NOT NULL,
        "store" character varying(16) NOT NULL,
        "store_subscription_id" text NOT NULL,
        "payment_fingerprint" character varying(255),
        "device_id" character varying(255),
        "started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_trial_grants" PRIMARY KEY ("account_id", "store", "store_subscription_id")
      )`);
    await q.query(
      `CREATE INDEX "IDX_trial_grants_payment_fingerprint" ON "trial_grants" ("payment_fingerprint")`,
    );
    await q.query(`CREATE INDEX "IDX_trial_grants_device_id" ON "trial_grants" ("device_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_trial_grants_device_id"`);
    await q.query(`DROP INDEX "IDX_trial_grants_payment_fingerprint"`);
    await q.query(`DROP TABLE "trial_grants"`);
    await q.query(`DROP TABLE "store_account_ids"`);
    await q.query(`DROP TABLE "account_store_ids"`);
    await q.query(`DROP TABLE "accounts"`);
  }
}
