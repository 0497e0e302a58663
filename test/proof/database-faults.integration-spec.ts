/**
 * The database goes away under load and comes back: a Postgres of the test's own is stopped and
 * started again, and separately the connection is cut mid-transaction through a TCP proxy. While
 * it is away the service answers 503 with Retry-After (never a wrong decision such as
 * "covered: false" because the entitlement could not be read), readiness goes false, the catalog
 * still answers, and it recovers without a restart.
 */
import request from 'supertest';
import { DataSource } from 'typeorm';
import { PrivatePostgres } from '../support/private-postgres';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_KEYS } from '../support/test-keys';
import { waitFor } from '../support/wait';
import { SeededAccount, seedAccounts } from './support/seed';

const describeIfServer = PrivatePostgres.available() ? describe : describe.skip;

interface Answer {
  kind: 'coverage' | 'jobs' | 'finish' | 'models' | 'ready';
  accountId?: string;
  jobId?: string;
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | undefined;
}

/** A gateway's traffic: coverage checks, admissions with their finish, catalog reads, readiness. */
class LoadLoop {
  readonly answers: Answer[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private n = 0;

  constructor(
    private readonly t: TestApp,
    private readonly accounts: SeededAccount[],
    private readonly tag: string,
  ) {}

  start(concurrency: number): void {
    this.running = true;
    this.loops = Array.from({ length: concurrency }, (_, i) => this.loop(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  count(kind: Answer['kind'], pred: (a: Answer) => boolean = () => true): number {
    return this.answers.filter((a) => a.kind === kind && pred(a)).length;
  }

  private record(kind: Answer['kind'], res: request.Response, extra: Partial<Answer> = {}) {
    const answer: Answer = {
      kind,
      status: res.status,
      body: res.body as Record<string, unknown>,
      retryAfter: res.headers['retry-after'] as string | undefined,
      ...extra,
    };
    this.answers.push(answer);
    return answer;
  }

  private async loop(i: number): Promise<void> {
    const gw = `Bearer ${TEST_KEYS.gateway}`;
    while (this.running) {
      const account = this.accounts[(this.n++ * 7 + i) % this.accounts.length];
      const step = this.n % 4;
      if (step === 0) {
        const res = await request(this.t.server)
          .post('/v1/coverage')
          .set('authorization', gw)
          .send({ accountId: account.accountId, modelId: 'sdxl-1024' });
        this.record('coverage', res, { accountId: account.accountId });
      } else if (step === 1) {
        const jobId = `job_${this.tag}_${i}_${this.n}`;
        const res = await request(this.t.server)
          .post('/v1/jobs')
          .set('authorization', gw)
          .send({ accountId: account.accountId, modelId: 'sdxl-1024', jobId });
        this.record('jobs', res, { accountId: account.accountId, jobId });
        if (res.status === 201) {
          const fin = await request(this.t.server)
            .post(`/v1/jobs/${jobId}/finish`)
            .set('authorization', gw)
            .send({ outcome: 'canceled' });
          this.record('finish', fin, { accountId: account.accountId, jobId });
        }
      } else if (step === 2) {
        const res = await request(this.t.server).get('/v1/models').set('authorization', gw);
        this.record('models', res);
      } else {
        const res = await request(this.t.server).get('/health/ready');
        this.record('ready', res);
      }
    }
  }
}

/** Whether each seeded account's job is covered, read while the database is healthy. */
async function truth(t: TestApp, accounts: SeededAccount[]): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (const a of accounts) {
    const res = await request(t.server)
      .post('/v1/coverage')
      .set('authorization', `Bearer ${TEST_KEYS.gateway}`)
      .send({ accountId: a.accountId, modelId: 'sdxl-1024' });
    expect(res.status).toBe(200);
    out.set(a.accountId, (res.body as { covered: boolean }).covered);
  }
  return out;
}

/** Every answer is either the right decision or a 503 with Retry-After and the envelope. */
function checkAnswers(load: LoadLoop, expected: Map<string, boolean>): void {
  const wrong = load.answers.filter((a) => {
    if (a.status === 503) {
      const code = (a.body.error as { code?: string } | undefined)?.code;
      return a.retryAfter === undefined || typeof code !== 'string';
    }
    switch (a.kind) {
      case 'coverage':
        return a.status !== 200 || a.body.covered !== expected.get(a.accountId!);
      case 'jobs':
        // Covered accounts are admitted (or told to wait); the others are refused with 200.
        return expected.get(a.accountId!)
          ? ![201, 429].includes(a.status) || a.body.covered !== true
          : a.status !== 200 || a.body.covered !== false;
      case 'finish':
        return a.status !== 200;
      case 'models':
      case 'ready':
        return a.status !== 200;
    }
  });
  expect(wrong.slice(0, 5)).toEqual([]);
}

async function readyStatus(t: TestApp): Promise<number> {
  return (await request(t.server).get('/health/ready')).status;
}

describeIfServer('database faults under load', () => {
  let pg: PrivatePostgres;

  beforeAll(async () => {
    pg = await PrivatePostgres.create();
  });
  afterAll(async () => {
    await pg?.destroy();
  });

  describe('the server stops and starts again', () => {
    let t: TestApp;
    let accounts: SeededAccount[];
    let expected: Map<string, boolean>;

    beforeAll(async () => {
      t = await createTestApp({ env: { DATABASE_URL: pg.url, DATABASE_POOL_SIZE: '4' } });
      accounts = await seedAccounts(t.app, 'dbf-', 40);
      expected = await truth(t, accounts);
    });
    afterAll(async () => {
      await pg.start().catch(() => undefined);
      await t?.close();
    });

    it('answers 503 with Retry-After while it is down, never a wrong decision, and recovers', async () => {
      const load = new LoadLoop(t, accounts, 'stop');
      load.start(6);
      try {
        await waitFor(() => load.count('coverage', (a) => a.status === 200) >= 20, {
          what: 'healthy traffic',
          timeoutMs: 30_000,
        });

        await pg.stop('fast');
        await waitFor(async () => (await readyStatus(t)) === 503, {
          what: 'readiness to go false',
          timeoutMs: 20_000,
        });
        const downAt = load.answers.length;
        await waitFor(
          () =>
            load.answers
              .slice(downAt)
              .filter((a) => a.status === 503 && (a.kind === 'coverage' || a.kind === 'jobs'))
              .length >= 20,
          { what: 'coverage and admission to answer 503', timeoutMs: 30_000 },
        );
        // The catalog needs no database: it keeps answering while the database is away.
        const models = await request(t.server)
          .get('/v1/models')
          .set('authorization', `Bearer ${TEST_KEYS.gateway}`);
        expect(models.status).toBe(200);

        await pg.start();
        await waitFor(async () => (await readyStatus(t)) === 200, {
          what: 'readiness to come back',
          timeoutMs: 30_000,
        });
        const upAt = load.answers.length;
        await waitFor(
          () =>
            load.answers.slice(upAt).filter((a) => a.kind === 'jobs' && a.status !== 503).length >=
            10,
          { what: 'admissions to recover', timeoutMs: 30_000 },
        );
      } finally {
        await load.stop();
      }
      checkAnswers(load, expected);
      expect(load.count('coverage', (a) => a.status === 503)).toBeGreaterThan(0);
      // Same decisions as before the outage, from the same process.
      expect(await truth(t, accounts)).toEqual(expected);
    });
  });

  describe('the connection is cut mid-transaction', () => {
    let proxy: TcpProxy;
    let t: TestApp;
    let accounts: SeededAccount[];
    let expected: Map<string, boolean>;

    beforeAll(async () => {
      proxy = new TcpProxy('127.0.0.1', pg.port);
      await proxy.start();
      const viaProxy = new URL(pg.url);
      viaProxy.port = String(proxy.port);
      t = await createTestApp({
        env: { DATABASE_URL: viaProxy.toString(), DATABASE_POOL_SIZE: '4' },
      });
      accounts = await seedAccounts(t.app, 'cut-', 40);
      expected = await truth(t, accounts);
    });
    afterAll(async () => {
      await proxy.restore().catch(() => undefined);
      await t?.close();
      await proxy.stop();
    });

    it('answers in-flight requests 503 (never 500 or a wrong decision), and keeps every limit after', async () => {
      const load = new LoadLoop(t, accounts, 'cut');
      load.start(8);
      try {
        for (let round = 0; round < 3; round++) {
          const before = load.answers.length;
          await waitFor(
            () => load.answers.slice(before).filter((a) => a.status !== 503).length >= 30,
            {
              what: 'traffic flowing',
              timeoutMs: 30_000,
            },
          );
          await proxy.cut();
          await waitFor(() => load.answers.slice(before).some((a) => a.status === 503), {
            what: 'a 503 while cut',
            timeoutMs: 20_000,
          });
          expect(await readyStatus(t)).toBe(503);
          await proxy.restore();
          await waitFor(async () => (await readyStatus(t)) === 200, {
            what: 'readiness to come back',
            timeoutMs: 30_000,
          });
        }
        const upAt = load.answers.length;
        await waitFor(
          () =>
            load.answers.slice(upAt).filter((a) => a.kind === 'jobs' && a.status !== 503).length >=
            10,
          { what: 'admissions to recover', timeoutMs: 30_000 },
        );
      } finally {
        await load.stop();
      }
      checkAnswers(load, expected);

      // An admission whose answer was lost (503) is retried with its jobId: the service either
      // admits it now or returns the first answer, never a second slot.
      const lost = load.answers.filter((a) => a.kind === 'jobs' && a.status === 503);
      for (const a of lost) {
        const res = await request(t.server)
          .post('/v1/jobs')
          .set('authorization', `Bearer ${TEST_KEYS.gateway}`)
          .send({ accountId: a.accountId, modelId: 'sdxl-1024', jobId: a.jobId });
        expect([200, 201, 429]).toContain(res.status);
        if (res.status === 201) {
          await request(t.server)
            .post(`/v1/jobs/${a.jobId}/finish`)
            .set('authorization', `Bearer ${TEST_KEYS.gateway}`)
            .send({ outcome: 'canceled' })
            .expect(200);
        }
      }
      // No account holds more running image jobs than its plan allows, even with lost answers.
      const db = t.app.get(DataSource);
      const running = (await db.query(
        `SELECT account_id, count(*)::int AS n FROM job_leases
         WHERE status = 'running' AND covered AND job_class = 'image' AND lease_expires_at > now()
         GROUP BY account_id`,
      )) as { account_id: string; n: number }[];
      const limitOf = (id: string) =>
        accounts.find((a) => a.accountId === id)?.situation.match(/pro|cancel|downgrade/) ? 16 : 4;
      expect(running.filter((r) => r.n > limitOf(r.account_id))).toEqual([]);
    });
  });
});
