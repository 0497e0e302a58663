import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event inbox: every verified store event, stored before the store gets its 2xx.
 *
 * Distribution (SPEC §10, Citus): not account-scoped (the account is only known once the event is
 * processed), so it stays a regular table on the coordinator; its size follows the webhook rate,
 * not the number of accounts. `IDX_inbox_events_due` serves the worker's pick query
 * (`status`, then the due time), `IDX_inbox_events_listing` the admin listing by status.
 */
export class CreateInboxTables1795300000001 implements MigrationInterface {
  name = 'CreateInboxTables1795300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "inbox_events" (
        "id" uuid NOT NULL,
        "store" character varying(16) NOT NULL,
        "store_event_id" text NOT NULL,
        "event_type" character varying(255) NOT NULL,
        "occurred_at" TIMESTAMP WITH TIME ZONE,
        "payload" jsonb NOT NULL,
        "status" character varying(16) NOT NULL DEFAULT 'pending',
        "attempts" integer NOT NULL DEFAULT 0,
        "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "locked_until" TIMESTAMP WITH TIME ZONE,
        "locked_by" character varying(128),
        "last_error" text,
        "outcome_note" text,
        "received_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "processed_at" TIMESTAMP WITH TIME ZONE,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_inbox_events" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_inbox_events_store_event" UNIQUE ("store", "store_event_id")
      )`);
    await q.query(
      `CREATE INDEX "IDX_inbox_events_due" ON "inbox_events" ("status", "next_attempt_at")`,
    );
    await q.query(
      `CREATE INDEX "IDX_inbox_events_listing" ON "inbox_events" ("status", "received_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_inbox_events_listing"`);
    await q.query(`DROP INDEX "IDX_inbox_events_due"`);
    await q.query(`DROP TABLE "inbox_events"`);
  }
}
