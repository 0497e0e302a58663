import request from 'supertest';
import { ManualClock } from '../../src/common/clock';
import { aSnapshot, day } from '../../src/entitlements/domain/testing/snapshot.builder';
import { EntitlementService } from '../../src/entitlements/entitlement.service';
import { createTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/http';
import { bearer } from '../support/test-keys';

describe('account routes over HTTP', () => {
  let t: TestApp;
  const clock = new ManualClock(day(1));

  beforeAll(async () => {
    t = await createTestApp({ clock, env: { GOOGLE_PACKAGE_NAME: 'com.example.creative' } });
  });

  afterAll(async () => {
    await t.close();
  });

  describe('auth and validation', () => {
    const routes: [string, string][] = [
      ['get', '/v1/accounts/acc_e2e/store-ids'],
      ['get', '/v1/accounts/acc_e2e/entitlement'],
      ['get', '/v1/accounts/acc_e2e/history'],
    ];

    it.each(routes)(
      '%s %s: 401 without a key, 403 for gateway and admin keys',
      async (_m, path) => {
        await expectError(request(t.server).get(path), 401, 'unauthenticated');
        await expectError(
          request(t.server).get(path).set('authorization', bearer('gateway')),
          403,
          'forbidden',
        );
        await expectError(
          request(t.server).get(path).set('authorization', bearer('admin')),
          403,
          'forbidden',
        );
      },
    );

    it.each([
      ['/v1/accounts/bad%20id/entitlement'],
      [`/v1/accounts/${'x'.repeat(65)}/store-ids`],
      ['/v1/accounts/semi;colon/history'],
      ['/v1/accounts/acc_e2e/history?limit=0'],
      ['/v1/accounts/acc_e2e/history?limit=abc'],
      ['/v1/accounts/acc_e2e/history?extra=1'],
    ])('400 validation_failed for %s', async (path) => {
      await expectError(
        request(t.server).get(path).set('authorization', bearer('dashboard')),
        400,
        'validation_failed',
      );
    });

    it('400 invalid_cursor for a history cursor it did not make', async () => {
      await expectError(
        request(t.server)
          .get('/v1/accounts/acc_e2e/history?before=abc')
          .set('authorization', bearer('dashboard')),
        400,
        'invalid_cursor',
      );
    });

    it('suspension routes are admin only and need a reason', async () => {
      const path = '/v1/admin/accounts/acc_e2e/suspend';
      await expectError(request(t.server).post(path).send({ reason: 'x' }), 401, 'unauthenticated');
      await expectError(
        request(t.server)
          .post(path)
          .set('authorization', bearer('dashboard'))
          .send({ reason: 'x' }),
        403,
        'forbidden',
      );
      await expectError(
        request(t.server).post(path).set('authorization', bearer('admin')).send({}),
        400,
        'validation_failed',
      );
      await expectError(
        request(t.server)
          .post(path)
          .set('authorization', bearer('admin'))
          .send({ reason: 'x'.repeat(501) }),
        400,
        'validation_failed',
      );
      await expectError(
        request(t.server)
          .post('/v1/admin/accounts/bad%20id/unsuspend')
          .set('authorization', bearer('admin'))
          .send({ reason: 'x' }),
        400,
        'validation_failed',
      );
    });
  });

  it('GET store-ids issues the ids once', async () => {
    const first = await request(t.server)
      .get('/v1/accounts/acc_e2e_ids/store-ids')
      .set('authorization', bearer('dashboard'))
      .expect(200);
    expect(Object.keys(first.body).sort()).toEqual([
      'appleAppAccountToken',
      'googleObfuscatedAccountId',
    ]);
    const again = await request(t.server)
      .get('/v1/accounts/acc_e2e_ids/store-ids')
      .set('authorization', bearer('dashboard'))
      .expect(200);
    expect(again.body).toEqual(first.body);
  });

  it('GET entitlement of an unknown account: no subscription, not a 404', async () => {
    const res = await request(t.server)
      .get('/v1/accounts/acc_e2e_nobody/entitlement')
      .set('authorization', bearer('dashboard'))
      .expect(200);
    expect(res.body).toEqual({
      accountId: 'acc_e2e_nobody',
      covered: false,
      reason: 'no_subscription',
      plan: null,
      interval: null,
      state: 'no_subscription',
      provider: null,
      trialEndsAt: null,
      currentPeriodEnd: null,
      paidThrough: null,
      cancelAtPeriodEnd: false,
      pendingChange: null,
      manage: null,
      limits: { image: 0, video: 0 },
      usageToday: { completedJobs: 0, renderSpark: 0, resetsAt: day(2).toISOString() },
      subscriptions: [],
      duplicateBilling: false,
    });
  });

  it('GET entitlement shows the best plan, every subscription and duplicate billing', async () => {
    const entitlements = t.app.get(EntitlementService);
    await entitlements.apply(
      aSnapshot({ storeSubscriptionId: 'sub_e2e_web', accountId: 'acc_e2e_two' }),
    );
    await entitlements.apply(
      aSnapshot({
        store: 'google',
        storeSubscriptionId: 'token-e2e',
        accountId: 'acc_e2e_two',
        plan: 'unlimited_pro',
        interval: 'year',
        productId: 'unlimited_pro/annual',
        currentPeriodEnd: day(365),
      }),
    );
    const res = await request(t.server)
      .get('/v1/accounts/acc_e2e_two/entitlement')
      .set('authorization', bearer('dashboard'))
      .expect(200);
    expect(res.body).toMatchObject({
      accountId: 'acc_e2e_two',
      covered: true,
      plan: 'unlimited_pro',
      interval: 'year',
      state: 'active',
      provider: 'google',
      paidThrough: day(365).toISOString(),
      manage: {
        kind: 'google_play',
        url: 'https://play.google.com/store/account/subscriptions?sku=unlimited_pro&package=com.example.creative',
        readOnly: true,
      },
      limits: { image: 16, video: 4 },
      duplicateBilling: true,
    });
    expect(
      res.body.subscriptions.map((s: { store: string; primary: boolean }) => [s.store, s.primary]),
    ).toEqual([
      ['google', true],
      ['stripe', false],
    ]);
  });

  it('suspends and unsuspends over HTTP; the status and the history show it', async () => {
    await t.app
      .get(EntitlementService)
      .apply(aSnapshot({ storeSubscriptionId: 'sub_e2e_susp', accountId: 'acc_e2e_susp' }));
    const suspended = await request(t.server)
      .post('/v1/admin/accounts/acc_e2e_susp/suspend')
      .set('authorization', bearer('admin'))
      .send({ reason: 'chargeback under review' })
      .expect(200);
    expect(suspended.body).toEqual({
      accountId: 'acc_e2e_susp',
      suspended: true,
      suspension: {
        suspendedAt: day(1).toISOString(),
        reason: 'chargeback under review',
        source: 'operator',
      },
    });
    const status = await request(t.server)
      .get('/v1/accounts/acc_e2e_susp/entitlement')
      .set('authorization', bearer('dashboard'))
      .expect(200);
    expect(status.body).toMatchObject({ covered: false, state: 'suspended', reason: 'suspended' });

    // Suspending again keeps the first suspension.
    clock.advance(60_000);
    const again = await request(t.server)
      .post('/v1/admin/accounts/acc_e2e_susp/suspend')
      .set('authorization', bearer('admin'))
      .send({ reason: 'another reason' })
      .expect(200);
    expect(again.body.suspension).toMatchObject({
      suspendedAt: day(1).toISOString(),
      reason: 'chargeback under review',
    });

    await request(t.server)
      .post('/v1/admin/accounts/acc_e2e_susp/unsuspend')
      .set('authorization', bearer('admin'))
      .send({ reason: 'dispute won' })
      .expect(200, { accountId: 'acc_e2e_susp', suspended: false, suspension: null });
    const after = await request(t.server)
      .get('/v1/accounts/acc_e2e_susp/entitlement')
      .set('authorization', bearer('dashboard'))
      .expect(200);
    expect(after.body).toMatchObject({ covered: true, state: 'active' });

    const history = await request(t.server)
      .get('/v1/accounts/acc_e2e_susp/history?limit=2')
      .set('authorization', bearer('dashboard'))
      .expect(200);
    expect(history.body.entries).toEqual([
      expect.objectContaining({
        transition: 'unsuspended',
        details: expect.objectContaining({ reason: 'dispute won', source: 'operator' }),
      }),
      expect.objectContaining({
        transition: 'suspended',
        details: { reason: 'chargeback under review', source: 'operator' },
      }),
    ]);
    const rest = await request(t.server)
      .get(`/v1/accounts/acc_e2e_susp/history?before=${history.body.nextBefore}`)
      .set('authorization', bearer('dashboard'))
      .expect(200);
    expect(rest.body).toEqual({
      entries: [
        expect.objectContaining({
          transition: 'subscription_created',
          store: 'stripe',
          storeSubscriptionId: 'sub_e2e_susp',
        }),
      ],
      nextBefore: null,
    });
  });

  it('documents the routes and their bodies in the OpenAPI document', async () => {
    const doc = await request(t.server).get('/docs-json').expect(200);
    const entitlement = doc.body.paths['/v1/accounts/{accountId}/entitlement'].get;
    expect(entitlement.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/EntitlementDto',
    });
    expect(Object.keys(doc.body.components.schemas.EntitlementDto.properties)).toEqual(
      expect.arrayContaining(['manage', 'usageToday', 'subscriptions', 'duplicateBilling']),
    );
    for (const path of [
      '/v1/accounts/{accountId}/store-ids',
      '/v1/accounts/{accountId}/history',
      '/v1/admin/accounts/{accountId}/suspend',
      '/v1/admin/accounts/{accountId}/unsuspend',
      '/v1/admin/inbox',
      '/v1/admin/inbox/{id}/retry',
    ]) {
      expect(doc.body.paths).toHaveProperty([path]);
    }
  });

  it('GET history of an unknown account is an empty page', async () => {
    await request(t.server)
      .get('/v1/accounts/acc_e2e_nobody/history')
      .set('authorization', bearer('dashboard'))
      .expect(200, { entries: [], nextBefore: null });
  });
});
