/**
 * Request shapes the framework itself trips on, answered with the error envelope: a path
 * parameter over the router's length limit (answered before Nest sees the request) and a JSON
 * body nested deeply enough to overflow the validation pipe's recursion.
 */
import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/http';
import { bearer } from '../support/test-keys';

describe('request shapes the framework trips on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('414 with the envelope for a path parameter over the router limit', async () => {
    const res = await expectError(
      request(t.server)
        .post(`/v1/jobs/${'a'.repeat(500)}/finish`)
        .set('authorization', bearer('gateway'))
        .send({ outcome: 'completed' }),
      414,
      'bad_request',
    );
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it.each(['array', 'object'] as const)(
    '400 validation_failed for a body nested 5,000 levels deep (%s)',
    async (kind) => {
      const nested =
        kind === 'array'
          ? `${'['.repeat(5000)}1${']'.repeat(5000)}`
          : `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
      await expectError(
        request(t.server)
          .post('/v1/estimate')
          .set('authorization', bearer('gateway'))
          .set('content-type', 'application/json')
          .send(`{"modelId": ${nested}}`),
        400,
        'validation_failed',
      );
    },
  );

  it('still reads an ordinary nested body', async () => {
    const res = await request(t.server)
      .post('/v1/estimate')
      .set('authorization', bearer('gateway'))
      .send({ modelId: 'sdxl-1024', width: 1024, height: 1024 });
    expect(res.status).toBe(200);
  });

  it.each([
    [
      'POST',
      '/v1/accounts/acct_nul/checkout-session',
      'dashboard',
      { plan: 'unlimited', interval: 'month', deviceId: '\u0000' },
    ],
    ['POST', '/v1/coverage', 'gateway', { accountId: 'acct_nul', modelId: 'sdxl-1024\u0000' }],
    [
      'POST',
      '/v1/jobs',
      'gateway',
      { accountId: 'acct_nul', modelId: 'sdxl-1024', jobId: 'j1', targetWorkerId: 'w\u0000' },
    ],
    ['POST', '/v1/estimate', 'gateway', { modelId: 'sdxl-1024', 'x\u0000': 1 }],
    ['GET', '/v1/trials/eligibility?accountId=acct_nul&deviceId=%00', 'dashboard', undefined],
  ] as const)(
    '400, never a 500, for a NUL character (Postgres cannot store one): %s %s',
    async (method, path, scope, body) => {
      const req =
        method === 'GET' ? request(t.server).get(path) : request(t.server).post(path).send(body);
      const res = await expectError(
        req.set('authorization', bearer(scope)),
        400,
        'validation_failed',
      );
      expect(res.body.error.message).toMatch(/NUL character/);
    },
  );
});
