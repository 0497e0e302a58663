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
});
