import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Stripe module's own tables: the newest version of each Stripe object seen, and which account
 * each Stripe customer belongs to.
 *
 * Distribution (SPEC §10, Citus): neither is account-scoped. `stripe_objects` follows the webhook
 * rate like the inbox and stays on the coordinator (or is distributed by `id`);
 * `stripe_customers` is a global lookup distributed by `customer_id`, and its by-account index
 * serves the Customer Portal link (a fan-out, never the hot path).
 */
export class CreateStripeTables1795300000300 implements MigrationInterface {
  name = 'CreateStripeTables1795300000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "stripe_objects" (
        "id" text NOT NULL,
        "object" character varying(64) NOT NULL,
        "subscription_id" text,
        "lookup_ref" text,
        "observed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "data" jsonb NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_stripe_objects" PRIMARY KEY ("id")
      )`);
    await q.query(
      `CREATE INDEX "IDX_stripe_objects_subscription" ON "stripe_objects" ("subscription_id", "object")`,
    );
    await q.query(
      `CREATE INDEX "IDX_stripe_objects_lookup" ON "stripe_objects" ("object", "lookup_ref")`,
    );
    await q.query(`
      CREATE TABLE "stripe_customers" (
        "customer_id" character varying(255) NOT NULL,
        "account_id" character varying(64) NOT NULL,
        "source" character varying(32) NOT NULL,
        "observed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_stripe_customers" PRIMARY KEY ("customer_id")
      )`);
    await q.query(
      `CREATE INDEX "IDX_stripe_customers_account" ON "stripe_customers" ("account_id", "observed_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_stripe_customers_account"`);
    await q.query(`DROP TABLE "stripe_customers"`);
    await q.query(`DROP INDEX "IDX_stripe_objects_lookup"`);
    await q.query(`DROP INDEX "IDX_stripe_objects_subscription"`);
    await q.query(`DROP TABLE "stripe_objects"`);
  }
}
