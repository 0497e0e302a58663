import type { MigrationInterface, QueryRunner } from 'typeorm';

const READ = `coverage_admission_read(character varying, date, timestamptz, boolean, character varying)`;

/**
 * `coverage_admission_read` plans its statements with sequential scans disabled. Each of them
 * finds one account's rows (or one job's) through an index, whatever the tables hold, but a
 * PL/pgSQL function keeps the plan it settled on in each connection: one settled on while a
 * table had just been analyzed empty (a fresh deployment, a bench, a maintenance ANALYZE) is a
 * sequential scan, and stays one as the table grows until the next ANALYZE; admission then slows
 * with every lease. With the setting the cached plans are index scans from the start.
 */
export class AdmissionReadIndexPlans1795300000600 implements MigrationInterface {
  name = 'AdmissionReadIndexPlans1795300000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION ${READ} SET enable_seqscan = off`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION ${READ} RESET enable_seqscan`);
  }
}
