import request from 'supertest';
import { DataSource } from 'typeorm';
import { EntitlementSource } from '../../src/coverage/entitlement-cache';
import { createTestApp, type TestApp } from '../support/test-app';
import { bearer } from '../support/test-keys';
import { FakeEntitlementSource } from './fake-entitlement-source';

/** Several service instances on one Postgres server: needs DATABASE_URL (embedded is one process). */
const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;

describeOnPostgres('job admission races across 3 instances on one Postgres', () => {
  const instances: TestApp[] = [];
  const source = new FakeEntitlementSource();

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      instances.push(
        await createTestApp({
          env: { DATABASE_POOL_SIZE: '20' },
          override: (b) => b.overrideProvider(EntitlementSource).useValue(source),
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(instances.map((t) => t.close()));
  });

  const admit = (i: number, accountId: string, jobId: string, modelId = 'sdxl-1024') =>
    request(instances[i % instances.length].server)
      .post('/v1/jobs')
      .set('authorization', bearer('gateway'))
      .send({ accountId, modelId, jobId });
  const finish = (i: number, jobId: string) =>
    request(instances[i % instances.length].server)
      .post(`/v1/jobs/${jobId}/finish`)
      .set('authorization', bearer('gateway'))
      .send({ outcome: 'completed' });

  async function runningInDatabase(accountId: string): Promise<number> {
    const rows = (await instances[0].app
      .get(DataSource)
      .query(
        `SELECT count(*)::int AS n FROM job_leases WHERE account_id = $1 AND status = 'running' AND covered`,
        [accountId],
      )) as { n: number }[];
    return rows[0].n;
  }

  it.each([
    ['unlimited', 'sdxl-1024', 4],
    ['unlimited_pro', 'sdxl-1024', 16],
    ['unlimited_pro', 'ltx-2-3-22b-distilled', 4],
  ] as const)('%s, %s: 200 parallel admissions admit exactly %i', async (plan, modelId, limit) => {
    const accountId = `race_${plan}_${modelId}_${Date.now()}`;
    source.set(accountId, 'active', plan);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => admit(i, accountId, `${accountId}_j${i}`, modelId)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(200 - limit);
    expect(await runningInDatabase(accountId)).toBe(limit);

    // Every slot is usable again once the running jobs finish.
    const admitted = results.filter((r) => r.status === 201).map((r) => r.body.jobId as string);
    await Promise.all(admitted.map((jobId, i) => finish(i, jobId).expect(200)));
    expect(await runningInDatabase(accountId)).toBe(0);
    const again = await Promise.all(
      Array.from({ length: 50 }, (_, i) => admit(i, accountId, `${accountId}_k${i}`, modelId)),
    );
    expect(again.filter((r) => r.status === 201)).toHaveLength(limit);
  });

  it('under churn (finish as soon as admitted), the running jobs never exceed the cap', async () => {
    const accountId = `churn_${Date.now()}`;
    source.set(accountId, 'active', 'unlimited');
    const limit = 4;
    let held = 0;
    let maxHeld = 0;
    let admittedCount = 0;
    const worker = async (w: number) => {
      for (let k = 0; k < 25; k++) {
        const jobId = `${accountId}_w${w}_${k}`;
        const res = await admit(w + k, accountId, jobId);
        if (res.status === 201) {
          admittedCount++;
          held++;
          maxHeld = Math.max(maxHeld, held);
          // Counted as released before the finish is sent: a server that over-admitted still shows.
          held--;
          await finish(w + k + 1, jobId).expect(200);
        } else {
          expect(res.status).toBe(429);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    expect(maxHeld).toBeLessThanOrEqual(limit);
    expect(admittedCount).toBeGreaterThanOrEqual(limit);
    expect(await runningInDatabase(accountId)).toBe(0);
  });

  it('the same jobId sent to all instances at once is admitted once and answered alike', async () => {
    const accountId = `idem_${Date.now()}`;
    source.set(accountId, 'active', 'unlimited');
    const jobId = `${accountId}_same`;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => admit(i, accountId, jobId)),
    );
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    for (const r of results) expect(r.body).toEqual(results[0].body);
    expect(await runningInDatabase(accountId)).toBe(1);
  });
});
