import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/common/clock';
import { EntitlementSource } from '../../src/coverage/entitlement-cache';
import { expectError } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { bearer } from '../support/test-keys';
import { FakeEntitlementSource } from './fake-entitlement-source';

const START = new Date('2026-03-10T12:00:00Z');
let seq = 0;
const id = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${++seq}`;

describe('coverage and job admission over HTTP', () => {
  let t: TestApp;
  const clock = new ManualClock(START);
  const source = new FakeEntitlementSource();

  beforeAll(async () => {
    t = await createTestApp({
      clock,
      env: {
        FAIR_USE_UNLIMITED_THROTTLE_SPARK: '2',
        FAIR_USE_UNLIMITED_REDUCE_SPARK: '3',
        TRIAL_DAILY_JOB_CAP: '2',
        COVERAGE_RETRY_AFTER_SECONDS: '7',
      },
      override: (b) => b.overrideProvider(EntitlementSource).useValue(source),
    });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => clock.set(START));

  const jobs = (body: object) =>
    request(t.server).post('/v1/jobs').set('authorization', bearer('gateway')).send(body);
  const check = (body: object) =>
    request(t.server).post('/v1/coverage').set('authorization', bearer('gateway')).send(body);
  const finish = (jobId: string, outcome: string) =>
    request(t.server)
      .post(`/v1/jobs/${jobId}/finish`)
      .set('authorization', bearer('gateway'))
      .send({ outcome });
  const heartbeat = (jobId: string) =>
    request(t.server).post(`/v1/jobs/${jobId}/heartbeat`).set('authorization', bearer('gateway'));

  function account(
    kind: Parameters<FakeEntitlementSource['set']>[1],
    plan?: 'unlimited' | 'unlimited_pro',
  ) {
    const accountId = id('acct');
    source.set(accountId, kind, plan);
    return accountId;
  }

  it.each(['/v1/coverage', '/v1/jobs', '/v1/jobs/j1/heartbeat', '/v1/jobs/j1/finish'])(
    '%s needs a gateway key (checked before the body is read)',
    async (path) => {
      await expectError(request(t.server).post(path).send({}), 401, 'unauthenticated');
      await expectError(
        request(t.server).post(path).set('authorization', 'Bearer not-a-key').send({}),
        401,
        'unauthenticated',
      );
      for (const scope of ['dashboard', 'admin'] as const) {
        await expectError(
          request(t.server)
            .post(path)
            .set('authorization', bearer(scope))
            .set('content-type', 'application/json')
            .send('{"not json'),
          403,
          'forbidden',
        );
      }
    },
  );

  it.each(['/v1/coverage', '/v1/jobs', '/v1/jobs/j1/finish'])(
    '%s answers bad JSON, a wrong media type and an invalid body in the envelope',
    async (path) => {
      const post = () => request(t.server).post(path).set('authorization', bearer('gateway'));
      await expectError(
        post().set('content-type', 'application/json').send('{"accountId": '),
        400,
        'invalid_json',
      );
      await expectError(
        post().set('content-type', 'text/plain').send('x'),
        415,
        'unsupported_media_type',
      );
      const res = await expectError(
        post().send({ accountId: 'a b', outcome: 'lost' }),
        400,
        'validation_failed',
      );
      // Every bad field is named, as on every other route.
      expect(res.body.error.message).toMatch(path.endsWith('finish') ? /outcome/ : /accountId/);
    },
  );

  it('admits a covered job with 201 and a lease, in the SPEC §8 body', async () => {
    const accountId = account('active');
    const jobId = id('job');
    const res = await jobs({ accountId, modelId: 'sdxl-1024', jobId }).expect(201);
    expect(res.body).toEqual({
      covered: true,
      reason: 'covered',
      plan: 'unlimited',
      state: 'active',
      jobClass: 'image',
      priority: 'subscription',
      concurrency: { limit: 4, running: 0 },
      fairUse: {
        renderSparkToday: 0,
        throttleAt: 2,
        reducedAt: 3,
        resetsAt: '2026-03-11T00:00:00.000Z',
      },
      fallback: null,
      trialLimit: null,
      estimatedSpark: 1,
      jobId,
      leaseExpiresAt: '2026-03-10T12:05:00.000Z',
    });
  });

  it('answers 200 with the fallback for a job that is not covered', async () => {
    const accountId = account('active', 'unlimited_pro');
    const res = await jobs({ accountId, modelId: 'gpt-image-2', jobId: id('job') }).expect(200);
    expect(res.body).toMatchObject({
      covered: false,
      reason: 'vendor_model_excluded',
      priority: null,
      leaseExpiresAt: null,
      fallback: {
        payWith: 'premium_spark',
        estimatedSpark: 13.6968,
        creditCardCoverageRequired: true,
      },
    });
    const lapsed = account('past_due');
    const r2 = await jobs({ accountId: lapsed, modelId: 'sdxl-1024', jobId: id('job') }).expect(
      200,
    );
    expect(r2.body).toMatchObject({ covered: false, reason: 'past_due', state: 'past_due' });
  });

  it('422 for an unknown model, 400 for a parameter the model cannot take', async () => {
    const accountId = account('active');
    await expectError(
      jobs({ accountId, modelId: 'no-such-model', jobId: id('job') }),
      422,
      'unknown_model',
    );
    await expectError(check({ accountId, modelId: 'no-such-model' }), 422, 'unknown_model');
    await expectError(
      jobs({ accountId, modelId: 'sdxl-1024', jobId: id('job'), width: 1001 }),
      400,
      'invalid_job_parameter',
    );
    // A refused admission took nothing: not even the account's admission lock row.
    const rows = async (table: string) =>
      (
        await t.app
          .get(DataSource)
          .query(`SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1`, [accountId])
      )[0].n as number;
    expect({
      locks: await rows('coverage_admission_locks'),
      leases: await rows('job_leases'),
    }).toEqual({ locks: 0, leases: 0 });
    // Under a jobId already answered, bad parameters are another request: a 409, as before.
    const jobId = id('job');
    await jobs({ accountId, modelId: 'sdxl-1024', jobId }).expect(201);
    await expectError(
      jobs({ accountId, modelId: 'sdxl-1024', jobId, width: 1001 }),
      409,
      'job_id_conflict',
    );
    await expectError(
      jobs({ accountId, modelId: 'sdxl-1024', jobId: 'bad id!' }),
      400,
      'validation_failed',
    );
    await expectError(
      jobs({ accountId, modelId: 'sdxl-1024', jobId: id('j'), channel: 'web' }),
      400,
      'validation_failed',
    );
  });

  it('429 with Retry-After at the concurrency limit; a finished job frees its slot', async () => {
    const accountId = account('active');
    const admitted: string[] = [];
    for (let i = 0; i < 4; i++) {
      const jobId = id('job');
      await jobs({ accountId, modelId: 'flux-1-schnell', jobId }).expect(201);
      admitted.push(jobId);
    }
    const full = await jobs({ accountId, modelId: 'flux-1-schnell', jobId: id('job') }).expect(429);
    expect(full.headers['retry-after']).toBe('7');
    expect(full.body).toMatchObject({
      covered: true,
      reason: 'concurrency_limit',
      concurrency: { limit: 4, running: 4 },
      leaseExpiresAt: null,
    });
    // Another class has its own cap.
    await jobs({ accountId, modelId: 'ltx-2-3-22b-distilled', jobId: id('job') }).expect(201);
    await finish(admitted[0], 'failed').expect(200);
    await jobs({ accountId, modelId: 'flux-1-schnell', jobId: id('job') }).expect(201);
  });

  it('the coverage check takes no slot', async () => {
    const accountId = account('active');
    for (let i = 0; i < 6; i++) {
      const res = await check({ accountId, modelId: 'wan-2-2-14b-lightx2v' }).expect(200);
      expect(res.body).toMatchObject({
        covered: true,
        reason: 'covered',
        concurrency: { limit: 1, running: 0 },
      });
    }
    await jobs({ accountId, modelId: 'wan-2-2-14b-lightx2v', jobId: id('job') }).expect(201);
    const after = await check({ accountId, modelId: 'wan-2-2-14b-lightx2v' }).expect(200);
    expect(after.body).toMatchObject({
      covered: true,
      reason: 'concurrency_limit',
      concurrency: { running: 1 },
    });
  });

  it('is idempotent by jobId: a retry gets the first answer; another request under it is a 409', async () => {
    const accountId = account('active');
    const jobId = id('job');
    const first = await jobs({ accountId, modelId: 'sdxl-1024', jobId }).expect(201);
    clock.advance(1000);
    const again = await jobs({ accountId, modelId: 'sdxl-1024', jobId }).expect(201);
    expect(again.body).toEqual(first.body);
    const vendor = await jobs({ accountId, modelId: 'seedance-2-0', jobId: 'v' + jobId }).expect(
      200,
    );
    expect(
      (await jobs({ accountId, modelId: 'seedance-2-0', jobId: 'v' + jobId }).expect(200)).body,
    ).toEqual(vendor.body);
    await expectError(
      jobs({ accountId, modelId: 'sdxl-1024', jobId, width: 512, height: 512 }),
      409,
      'job_id_conflict',
    );
    await expectError(
      jobs({ accountId: account('active'), modelId: 'sdxl-1024', jobId }),
      409,
      'job_id_conflict',
    );
    // The retry took no second slot.
    const res = await check({ accountId, modelId: 'sdxl-1024' }).expect(200);
    expect(res.body.concurrency.running).toBe(1);
  });

  it('heartbeats extend the lease; an expired lease frees its slot and counts as timed out', async () => {
    const accountId = account('active');
    const jobId = id('job');
    await jobs({ accountId, modelId: 'wan-2-2-14b-full', jobId }).expect(201);
    clock.advance(29 * 60_000);
    const hb = await heartbeat(jobId).expect(200);
    expect(hb.body).toEqual({
      jobId,
      status: 'running',
      leaseExpiresAt: '2026-03-10T12:59:00.000Z',
    });
    clock.advance(29 * 60_000);
    await jobs({ accountId, modelId: 'wan-2-2-14b-full', jobId: id('job') }).expect(429);
    clock.advance(2 * 60_000 + 1);
    const other = id('job');
    await jobs({ accountId, modelId: 'wan-2-2-14b-full', jobId: other }).expect(201);
    await expectError(heartbeat(jobId), 409, 'job_finished');
    await expectError(finish(jobId, 'completed'), 409, 'job_finished');
    const timedOut = await finish(jobId, 'timed_out').expect(200);
    expect(timedOut.body).toMatchObject({ status: 'timed_out', countedRenderSpark: 0 });
    // Expired while nothing else touched it: heartbeat and finish see it and time it out.
    clock.advance(31 * 60_000);
    await expectError(heartbeat(other), 409, 'lease_expired');
    const third = id('job');
    await jobs({ accountId, modelId: 'wan-2-2-14b-full', jobId: third }).expect(201);
    clock.advance(31 * 60_000);
    await expectError(finish(third, 'completed'), 409, 'lease_expired');
    await expectError(heartbeat('no-such-job'), 404, 'job_not_found');
    await expectError(finish('no-such-job', 'completed'), 404, 'job_not_found');
  });

  it('only completed covered jobs count toward fair use; a refund takes one off', async () => {
    const accountId = account('active');
    const usage = async () =>
      (await check({ accountId, modelId: 'sdxl-1024' }).expect(200)).body as {
        fairUse: { renderSparkToday: number };
        priority: string;
        concurrency: { limit: number };
      };
    const run = async (outcome: string, modelId = 'sdxl-1024') => {
      const jobId = id('job');
      await jobs({ accountId, modelId, jobId }).expect(201);
      return (await finish(jobId, outcome).expect(200)).body as {
        countedRenderSpark: number;
        status: string;
      };
    };
    for (const outcome of ['failed', 'canceled', 'timed_out', 'refunded']) await run(outcome);
    expect((await usage()).fairUse.renderSparkToday).toBe(0);
    const done = await run('completed');
    expect(done).toMatchObject({ status: 'completed', countedRenderSpark: 1 });
    expect(await usage()).toMatchObject({
      fairUse: { renderSparkToday: 1 },
      priority: 'subscription',
    });

    const jobId = id('job');
    await jobs({ accountId, modelId: 'sdxl-1024', jobId }).expect(201);
    await finish(jobId, 'completed').expect(200);
    await finish(jobId, 'completed').expect(200);
    expect(await usage()).toMatchObject({
      fairUse: { renderSparkToday: 2 },
      priority: 'subscription_throttled',
    });
    await run('completed');
    expect(await usage()).toMatchObject({
      fairUse: { renderSparkToday: 3 },
      concurrency: { limit: 2 },
    });
    const refunded = await finish(jobId, 'refunded').expect(200);
    expect(refunded.body).toMatchObject({ status: 'refunded', countedRenderSpark: 0 });
    expect(await usage()).toMatchObject({
      fairUse: { renderSparkToday: 2 },
      concurrency: { limit: 4 },
    });
    await expectError(finish(jobId, 'completed'), 409, 'job_finished');
    // Jobs that are not covered never count.
    const vendor = id('job');
    await jobs({ accountId, modelId: 'gpt-image-2', jobId: vendor }).expect(200);
    expect((await finish(vendor, 'completed').expect(200)).body.countedRenderSpark).toBe(0);
    expect((await usage()).fairUse.renderSparkToday).toBe(2);
  });

  it('fair use resets at 00:00 UTC (injected clock); a refund un-counts the day it counted', async () => {
    clock.set('2026-03-10T23:59:00Z');
    const accountId = account('active');
    const jobIds = [id('job'), id('job'), id('job')];
    for (const jobId of jobIds) {
      await jobs({ accountId, modelId: 'sdxl-1024', jobId }).expect(201);
      await finish(jobId, 'completed').expect(200);
    }
    const late = await check({ accountId, modelId: 'sdxl-1024' }).expect(200);
    expect(late.body).toMatchObject({
      priority: 'subscription_throttled',
      concurrency: { limit: 2 },
      fairUse: { renderSparkToday: 3, resetsAt: '2026-03-11T00:00:00.000Z' },
    });
    clock.set('2026-03-11T00:00:00Z');
    const next = await check({ accountId, modelId: 'sdxl-1024' }).expect(200);
    expect(next.body).toMatchObject({
      priority: 'subscription',
      concurrency: { limit: 4 },
      fairUse: { renderSparkToday: 0, resetsAt: '2026-03-12T00:00:00.000Z' },
    });
    await finish(jobIds[0], 'refunded').expect(200);
    expect(
      (await check({ accountId, modelId: 'sdxl-1024' }).expect(200)).body.fairUse.renderSparkToday,
    ).toBe(0);
    clock.set('2026-03-10T23:59:30Z');
    expect(
      (await check({ accountId, modelId: 'sdxl-1024' }).expect(200)).body.fairUse.renderSparkToday,
    ).toBe(2);
  });

  it('trial: API channel refused, daily job cap over completed plus running jobs', async () => {
    const accountId = account('trial');
    const api = await jobs({
      accountId,
      modelId: 'sdxl-1024',
      jobId: id('job'),
      channel: 'api',
    }).expect(200);
    expect(api.body).toMatchObject({
      covered: false,
      reason: 'trial_limit',
      trialLimit: 'api_channel',
    });
    const a = id('job');
    await jobs({ accountId, modelId: 'sdxl-1024', jobId: a }).expect(201);
    await finish(a, 'completed').expect(200);
    const b = id('job');
    await jobs({ accountId, modelId: 'sdxl-1024', jobId: b }).expect(201);
    const capped = await jobs({ accountId, modelId: 'sdxl-1024', jobId: id('job') }).expect(200);
    expect(capped.body).toMatchObject({ reason: 'trial_limit', trialLimit: 'daily_jobs' });
    await finish(b, 'failed').expect(200);
    await jobs({ accountId, modelId: 'sdxl-1024', jobId: id('job') }).expect(201);
  });

  it('worker targeting is not covered', async () => {
    const accountId = account('active');
    const res = await jobs({
      accountId,
      modelId: 'sdxl-1024',
      jobId: id('job'),
      targetWorkerId: 'w-1',
    }).expect(200);
    expect(res.body).toMatchObject({ covered: false, reason: 'worker_targeting_not_covered' });
  });

  it('admissions arriving together are each decided on their own, an account’s in turn', async () => {
    const busy = account('active');
    const others = [account('active'), account('active'), account('active')];
    const twice = account('active');
    const sameJob = id('job');
    const [busyAnswers, otherAnswers, badParameter, twiceAnswers] = await Promise.all([
      Promise.all(
        Array.from({ length: 6 }, () =>
          jobs({ accountId: busy, modelId: 'flux-1-schnell', jobId: id('job') }),
        ),
      ),
      Promise.all(
        others.map((accountId) => jobs({ accountId, modelId: 'sdxl-1024', jobId: id('job') })),
      ),
      jobs({ accountId: account('active'), modelId: 'sdxl-1024', jobId: id('job'), width: 1001 }),
      Promise.all(
        [1, 2].map(() => jobs({ accountId: twice, modelId: 'sdxl-1024', jobId: sameJob })),
      ),
    ]);
    // The cap (4) held: exactly four admitted, the others refused at the limit.
    expect(busyAnswers.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 429, 429]);
    expect(otherAnswers.map((r) => r.status)).toEqual([201, 201, 201]);
    // A parameter the model cannot take fails its own admission only.
    expect(badParameter.status).toBe(400);
    expect(badParameter.body.error.code).toBe('invalid_job_parameter');
    // One jobId sent twice at once: admitted once, the same answer twice.
    expect(twiceAnswers.map((r) => r.status)).toEqual([201, 201]);
    expect(twiceAnswers[1].body).toEqual(twiceAnswers[0].body);
    expect(
      (await check({ accountId: twice, modelId: 'sdxl-1024' }).expect(200)).body.concurrency,
    ).toMatchObject({ running: 1 });
    expect(
      (await check({ accountId: busy, modelId: 'flux-1-schnell' }).expect(200)).body.concurrency,
    ).toMatchObject({ running: 4 });
  });

  it('finishes arriving together each get their own answer; the day’s usage adds them all', async () => {
    const accountId = account('active');
    const jobIds = [id('job'), id('job'), id('job'), id('job')];
    for (const jobId of jobIds) await jobs({ accountId, modelId: 'sdxl-1024', jobId }).expect(201);
    const [completed, again, unknown, failed] = await Promise.all([
      Promise.all(jobIds.slice(0, 3).map((jobId) => finish(jobId, 'completed'))),
      finish(jobIds[0], 'completed'),
      finish(id('job'), 'completed'),
      finish(jobIds[3], 'failed'),
    ]);
    for (const res of [...completed, again]) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'completed', covered: true, countedRenderSpark: 1 });
    }
    expect(unknown.status).toBe(404);
    expect(failed.body).toMatchObject({ status: 'failed', countedRenderSpark: 0 });
    const after = await check({ accountId, modelId: 'sdxl-1024' }).expect(200);
    expect(after.body.fairUse.renderSparkToday).toBe(3);
    expect(after.body.concurrency.running).toBe(0);
  });

  it('documents the routes in the OpenAPI document, with the DTOs’ schemas', async () => {
    const res = await request(t.server).get('/docs-json').expect(200);
    const doc = res.body as {
      paths: Record<
        string,
        { post: { requestBody?: { content: Record<string, { schema: { $ref: string } }> } } }
      >;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/coverage',
        '/v1/jobs',
        '/v1/jobs/{jobId}/heartbeat',
        '/v1/jobs/{jobId}/finish',
      ]),
    );
    const bodyFields = (path: string) => {
      const ref = doc.paths[path].post.requestBody!.content['application/json'].schema.$ref;
      return Object.keys(doc.components.schemas[ref.split('/').pop()!].properties);
    };
    expect(bodyFields('/v1/coverage')).toEqual(expect.arrayContaining(['accountId', 'modelId']));
    expect(bodyFields('/v1/jobs')).toEqual(expect.arrayContaining(['accountId', 'jobId']));
    expect(bodyFields('/v1/jobs/{jobId}/finish')).toEqual(['outcome']);
  });
});
