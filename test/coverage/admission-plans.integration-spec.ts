import { Client } from 'pg';
import { createTestApp, type TestApp } from '../support/test-app';

/** The tables the admission read looks up, each by an index. */
const TABLES = [
  'job_leases',
  'coverage_admission_locks',
  'coverage_daily_usage',
  'store_subscriptions',
  'accounts',
];

/**
 * The admission read's statements are index scans in every connection's cached plans, also when
 * the tables were analyzed while empty (a fresh deployment): a PL/pgSQL function keeps the plan
 * it settled on, and a sequential scan settled on then would stay one as the tables grow. The
 * plans are read with auto_explain, so this runs on a Postgres server only (not embedded PGlite).
 */
const onServer = process.env.DATABASE_URL !== undefined;

(onServer ? describe : describe.skip)('admission read plans', () => {
  let t: TestApp;
  let client: Client;
  beforeAll(async () => {
    t = await createTestApp();
    client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await t?.close();
  });

  it('are index scans after the tables were analyzed empty, from the first call to the cached plan', async () => {
    await client.query(`ANALYZE ${TABLES.join(', ')}`);
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM job_leases');
    expect(rows[0].n).toBe('0');

    const plans: string[] = [];
    const onNotice = (notice: { message?: string }) => plans.push(notice.message ?? '');
    client.on('notice', onNotice);
    await client.query(`LOAD 'auto_explain'`);
    await client.query(`SET auto_explain.log_min_duration = 0`);
    await client.query(`SET auto_explain.log_nested_statements = on`);
    await client.query(`SET auto_explain.log_level = notice`);
    // Past the fifth call a connection may switch to its generic plan: call it more often.
    for (let i = 0; i < 8; i++) {
      await client.query(
        `SELECT coverage_admission_read($1, $2::date, $3::timestamptz, true, $4)`,
        ['plan_probe', '2026-03-10', '2026-03-10T12:00:00Z', `plan_probe_job_${i}`],
      );
    }
    client.off('notice', onNotice);

    const text = plans.join('\n');
    for (const table of TABLES) expect(text).toContain(` on ${table}`);
    expect(text.match(/Seq Scan on \w+/g) ?? []).toEqual([]);
  });
});
