/**
 * The admission baseline: a hand-written admission transaction on bare Fastify and a `pg` pool of
 * the service's default size, against the same database. Its tables are its own (`bench_baseline_*`),
 * created here. `POST /admit` locks the account row (`SELECT … FOR UPDATE`), counts the running
 * leases of the class, and inserts a lease when under the cap, all in one transaction;
 * `POST /finish` ends a lease. This is the least work a correct admission can do, so the service's
 * `/v1/jobs` + `finish` pairs are compared with `/admit` + `/finish` pairs.
 */
import Fastify from 'fastify';
import { Pool } from 'pg';

interface AdmitBody {
  accountId: string;
  jobId: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bench_baseline_account (
  account_id text PRIMARY KEY,
  image_limit int NOT NULL
);
CREATE TABLE IF NOT EXISTS bench_baseline_lease (
  account_id text NOT NULL,
  job_id text NOT NULL,
  job_class text NOT NULL,
  expires_at timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (account_id, job_id)
);
CREATE INDEX IF NOT EXISTS bench_baseline_lease_running
  ON bench_baseline_lease (account_id, job_class) WHERE finished_at IS NULL;
`;

async function main(): Promise<void> {
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  });
  await pool.query(SCHEMA);
  const accounts = Number(process.env.BASELINE_ACCOUNTS ?? 10_000);
  await pool.query(
    `INSERT INTO bench_baseline_account (account_id, image_limit)
     SELECT 'acct_' || lpad(i::text, 5, '0'), CASE WHEN i % 3 = 0 THEN 16 ELSE 4 END
     FROM generate_series(0, $1 - 1) AS i
     ON CONFLICT DO NOTHING`,
    [accounts],
  );

  const app = Fastify({ logger: false });
  app.get('/ready', async () => ({ ok: true }));
  app.post<{ Body: AdmitBody }>('/admit', async (request, reply) => {
    const { accountId, jobId } = request.body;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const account = await client.query<{ image_limit: number }>(
        'SELECT image_limit FROM bench_baseline_account WHERE account_id = $1 FOR UPDATE',
        [accountId],
      );
      if (account.rowCount === 0) {
        await client.query('ROLLBACK');
        return reply.status(200).send({ covered: false, reason: 'no_subscription' });
      }
      const running = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bench_baseline_lease
         WHERE account_id = $1 AND job_class = 'image' AND finished_at IS NULL AND expires_at > now()`,
        [accountId],
      );
      const limit = account.rows[0].image_limit;
      if (running.rows[0].n >= limit) {
        await client.query('ROLLBACK');
        return reply.status(429).send({ covered: true, reason: 'concurrency_limit' });
      }
      await client.query(
        `INSERT INTO bench_baseline_lease (account_id, job_id, job_class, expires_at)
         VALUES ($1, $2, 'image', now() + interval '5 minutes')`,
        [accountId, jobId],
      );
      await client.query('COMMIT');
      return reply.status(201).send({
        covered: true,
        reason: 'covered',
        jobId,
        concurrency: { limit, running: running.rows[0].n + 1 },
      });
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  });
  app.post<{ Params: { jobId: string }; Body: { accountId: string } }>(
    '/finish/:jobId',
    async (request) => {
      await pool.query(
        `UPDATE bench_baseline_lease SET finished_at = now()
         WHERE account_id = $1 AND job_id = $2 AND finished_at IS NULL`,
        [request.body.accountId, request.params.jobId],
      );
      return { finished: true };
    },
  );

  await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  process.on('SIGTERM', () => {
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
