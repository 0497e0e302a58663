import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/http';
import { bearer } from '../support/test-keys';

describe('inbox admin routes over HTTP', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('needs an admin key', async () => {
    await expectError(request(t.server).get('/v1/admin/inbox'), 401, 'unauthenticated');
    for (const scope of ['gateway', 'dashboard'] as const) {
      await expectError(
        request(t.server).get('/v1/admin/inbox').set('authorization', bearer(scope)),
        403,
        'forbidden',
      );
      await expectError(
        request(t.server)
          .post('/v1/admin/inbox/6f1c1d3e-0000-4000-8000-000000000000/retry')
          .set('authorization', bearer(scope)),
        403,
        'forbidden',
      );
    }
  });

  it.each([
    ['/v1/admin/inbox?status=lost'],
    ['/v1/admin/inbox?store=paypal'],
    ['/v1/admin/inbox?limit=500'],
    ['/v1/admin/inbox?unknown=1'],
  ])('400 validation_failed for %s', async (path) => {
    await expectError(
      request(t.server).get(path).set('authorization', bearer('admin')),
      400,
      'validation_failed',
    );
  });

  it('lists an empty inbox as an empty page', async () => {
    await request(t.server)
      .get('/v1/admin/inbox?status=failed')
      .set('authorization', bearer('admin'))
      .expect(200, { events: [], nextBefore: null });
  });

  it('retry: 400 for a malformed id, 404 for an unknown one', async () => {
    await expectError(
      request(t.server)
        .post('/v1/admin/inbox/not-a-uuid/retry')
        .set('authorization', bearer('admin')),
      400,
      'validation_failed',
    );
    await expectError(
      request(t.server)
        .post('/v1/admin/inbox/6f1c1d3e-0000-4000-8000-000000000000/retry')
        .set('authorization', bearer('admin')),
      404,
      'inbox_event_not_found',
    );
  });
});
