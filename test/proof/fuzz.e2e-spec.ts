/**
 * Hostile input over every route of the app (read from its own OpenAPI document): random JSON,
 * wrong types, odd unicode, SQL-looking strings, deep nesting, bodies over the limit, other
 * content types, malformed URLs, and store webhooks with bad signatures. Whatever comes in: never
 * a 5xx, always the error envelope on a 4xx, no change to any table, and the seeded accounts'
 * entitlement and coverage answers stay what they were.
 */
import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request, { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { AppleTestCa } from '../fakes/apple/apple-test-ca';
import { AppleNotificationSigner, TEST_APPLE_APP } from '../fakes/apple/apple-notification.builder';
import {
  pubsubPush,
  subscriptionNotification,
} from '../fakes/google/subscription-purchase.builder';
import { signStripePayload, webhookSecret } from '../fakes/stripe/stripe-events.builder';
import { createIsolatedDatabase } from '../support/test-database';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_KEYS } from '../support/test-keys';
import { bodyFor, deeplyNested, hostileString, hostileValue } from './support/hostile.arbitraries';
import { discoverRoutes, fillPath, RouteSpec } from './support/route-catalog';
import { SeededAccount, seedAccounts } from './support/seed';
import { tableFingerprint } from './support/state-fingerprint';
import {
  GOOGLE_AUDIENCE,
  GOOGLE_PACKAGE,
  GOOGLE_PUSH_ACCOUNT,
  startStoreRig,
  StoreRig,
} from './support/store-rig';

const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const BODY_LIMIT = 64 * 1024;
type Scope = keyof typeof TEST_KEYS;
type Caller = Scope | 'none' | 'bogus';

/** Routes whose success changes nothing: any answer from them must leave the tables alone. */
const READ_ONLY = new Set(['POST /v1/coverage', 'POST /v1/estimate']);
/** Issues the account's store ids on first read (SPEC §5), so a success may add them. */
const ISSUES_ON_READ = new Set(['GET /v1/accounts/{accountId}/store-ids']);
const readOnly = (route: RouteSpec) => {
  const name = `${route.method} ${route.path}`;
  return (route.method === 'GET' && !ISSUES_ON_READ.has(name)) || READ_ONLY.has(name);
};

/** The operator's own state-changing routes are not hostile input when called with the admin key. */
const isOperatorAction = (route: RouteSpec, caller: Caller) =>
  caller === 'admin' && route.method !== 'GET' && route.path.startsWith('/v1/admin/');

function checkAnswer(res: Response, what: string): void {
  if (res.status >= 500) {
    throw new Error(`${what} answered ${res.status}: ${res.text.slice(0, 500)}`);
  }
  if (res.status >= 400) {
    expect({ what, body: res.body as unknown }).toEqual({
      what,
      body: {
        error: { code: expect.stringMatching(/^[a-z][a-z0-9_]*$/), message: expect.any(String) },
      },
    });
  }
}

describe('hostile input on every route', () => {
  let rig: StoreRig;
  let t: TestApp;
  let db: DataSource;
  let routes: RouteSpec[];
  let seeded: SeededAccount[];
  let isolated: Awaited<ReturnType<typeof createIsolatedDatabase>>;

  /** A plausible value per documented field, so one hostile field reaches past the others. */
  const plausible = (field: string, jobId: string): unknown =>
    ({
      accountId: seeded[0].accountId,
      modelId: 'sdxl-1024',
      jobId,
      outcome: 'completed',
      channel: 'app',
      speed: 'fast',
      plan: 'unlimited',
      interval: 'month',
      reason: 'fuzz',
    })[field];

  beforeAll(async () => {
    rig = await startStoreRig();
    isolated = await createIsolatedDatabase();
    t = await createTestApp({
      env: {
        ...rig.env,
        ...(isolated ? { DATABASE_URL: isolated.url } : {}),
        BODY_LIMIT_BYTES: String(BODY_LIMIT),
      },
    });
    db = t.app.get(DataSource);
    routes = await discoverRoutes(t);
    seeded = await seedAccounts(t.app, 'fz-', 40);
  });

  afterAll(async () => {
    await t?.close();
    await rig?.stop();
    await isolated?.drop();
  });

  const send = (
    method: string,
    path: string,
    caller: Caller,
    body?: string,
    contentType = 'application/json',
    headers: Record<string, string> = {},
  ) => {
    let req = request(t.server)[method.toLowerCase() as 'get' | 'post'](path);
    if (caller === 'bogus') req = req.set('authorization', 'Bearer not-a-key-but-long-enough');
    else if (caller !== 'none') req = req.set('authorization', `Bearer ${TEST_KEYS[caller]}`);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    if (body !== undefined) req = req.set('content-type', contentType).send(body);
    return req;
  };

  /** What the seeded accounts look like from outside: entitlement and a coverage answer each. */
  const answers = async () => {
    const out: Record<string, unknown> = {};
    for (const a of seeded) {
      const ent = await request(t.server)
        .get(`/v1/accounts/${a.accountId}/entitlement`)
        .set('authorization', `Bearer ${TEST_KEYS.dashboard}`);
      const cov = await request(t.server)
        .post('/v1/coverage')
        .set('authorization', `Bearer ${TEST_KEYS.gateway}`)
        .send({ accountId: a.accountId, modelId: 'sdxl-1024' });
      out[a.accountId] = { entitlement: [ent.status, ent.body], coverage: [cov.status, cov.body] };
    }
    return out;
  };

  /**
   * Sends one request and checks the answer; a 4xx (or any answer of a read-only route) must
   * leave every table as it was. A success of a state-changing route is a legitimate request
   * (e.g. a valid admission that happened to be generated) and is allowed to change state.
   */
  const probe = async (
    route: RouteSpec,
    path: string,
    caller: Caller,
    body: string | undefined,
    what: string,
    contentType?: string,
  ) => {
    const before = await tableFingerprint(db);
    const res = await send(route.method, path, caller, body, contentType);
    checkAnswer(res, what);
    if (res.status >= 400 || readOnly(route)) {
      expect({ what, tables: await tableFingerprint(db) }).toEqual({ what, tables: before });
    }
    if (route.path === '/v1/jobs' && res.status === 201) {
      // A generated body that was a valid admission: give the slot back (canceled jobs count
      // toward nothing), so the seeded accounts keep answering as before.
      const jobId = (res.body as { jobId: string }).jobId;
      const done = await send(
        'POST',
        `/v1/jobs/${encodeURIComponent(jobId)}/finish`,
        'gateway',
        '{"outcome":"canceled"}',
      );
      expect(done.status).toBe(200);
    }
    return res;
  };

  let answersBefore: Record<string, unknown>;
  beforeAll(async () => {
    answersBefore = await answers();
  });

  it('finds every route to fuzz in the OpenAPI document', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /health/ready',
        'GET /v1/models',
        'POST /v1/estimate',
        'POST /v1/coverage',
        'POST /v1/jobs',
        'POST /v1/jobs/{jobId}/finish',
        'GET /v1/accounts/{accountId}/entitlement',
        'POST /webhooks/stripe',
        'POST /webhooks/apple',
        'POST /webhooks/google',
      ]),
    );
  });

  it('random bodies, path parameters, queries and keys', async () => {
    const callers: Caller[] = ['none', 'bogus', 'gateway', 'dashboard', 'admin'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes).chain((route) =>
          fc.record({
            route: fc.constant(route),
            caller: fc.constantFrom(...callers),
            params: fc.array(
              fc.oneof(hostileString, fc.constantFrom(...seeded.map((a) => a.accountId))),
              { minLength: 1, maxLength: 3 },
            ),
            query: fc.dictionary(fc.string({ maxLength: 10 }), hostileString, { maxKeys: 3 }),
            body: bodyFor(route.bodyFields),
          }),
        ),
        async ({ route, caller, params, query, body }) => {
          if (isOperatorAction(route, caller)) return;
          const json = route.method === 'GET' ? undefined : JSON.stringify(body);
          const qs = new URLSearchParams(query).toString();
          const path = `${fillPath(route, params)}${qs ? `?${qs}` : ''}`;
          await probe(
            route,
            path,
            caller,
            json,
            `${route.method} ${path} (${caller}) ${json?.slice(0, 300)}`,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('one documented field with a wrong or hostile value, the others plausible', async () => {
    const posts = routes.filter((r) => r.method !== 'GET' && r.bodyFields.length > 0);
    expect(posts.length).toBeGreaterThan(3);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...posts).chain((route) =>
          fc.record({
            route: fc.constant(route),
            caller: fc.constantFrom<Caller>('gateway', 'dashboard', 'admin'),
            field: fc.constantFrom(...route.bodyFields),
            value: hostileValue,
            jobId: fc.stringMatching(/^job_fz_[a-z0-9]{8}$/),
            account: fc.constantFrom(...seeded.map((a) => a.accountId)),
          }),
        ),
        async ({ route, caller, field, value, jobId, account }) => {
          if (isOperatorAction(route, caller)) return;
          const body: Record<string, unknown> = {};
          for (const f of route.bodyFields) {
            const v = f === 'accountId' ? account : plausible(f, jobId);
            if (v !== undefined) body[f] = v;
          }
          body[field] = value;
          const json = JSON.stringify(body);
          const path = fillPath(route, [account, jobId]);
          await probe(
            route,
            path,
            caller,
            json,
            `${route.method} ${path} (${caller}) ${json.slice(0, 300)}`,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('deep nesting, as the whole body and inside every documented field', async () => {
    for (const route of routes.filter((r) => r.method !== 'GET')) {
      for (const kind of ['array', 'object'] as const) {
        const nested = deeplyNested(5_000, kind);
        const bodies = [nested, ...route.bodyFields.map((f) => `{"${f}": ${nested}}`)];
        for (const body of bodies) {
          // The depth check runs before authentication, so the key matters little here.
          for (const caller of ['gateway', 'dashboard'] as const) {
            const path = fillPath(route, [seeded[0].accountId]);
            await probe(
              route,
              path,
              caller,
              body,
              `${route.method} ${path} (${caller}) nested ${kind}`,
            );
          }
        }
      }
    }
  });

  it('bodies that are not JSON, or not JSON by content type', async () => {
    const bodies: [string, string][] = [
      ['application/json', '{"modelId": '],
      ['application/json', '\ufeff{"modelId": "sdxl-1024"}'],
      ['application/json', '\u0000\u0001\u0002'],
      ['application/json', ''],
      ['application/json', 'null'],
      ['application/json; charset=utf-16', '{"modelId": "sdxl-1024"}'],
      ['text/plain', '{"modelId": "sdxl-1024"}'],
      ['application/x-www-form-urlencoded', 'modelId=sdxl-1024&accountId[]=1&__proto__[x]=1'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\ncontent-disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
      ],
      ['application/xml', '<modelId>sdxl-1024</modelId>'],
      ['application/octet-stream', '\u00ff\u00fe'],
    ];
    for (const route of routes.filter((r) => r.method !== 'GET')) {
      const path = fillPath(route, [seeded[0].accountId]);
      for (const [type, body] of bodies) {
        const what = `${route.method} ${route.path} as ${type}: ${JSON.stringify(body)}`;
        const res = await probe(route, path, 'gateway', body, what, type);
        if (!type.startsWith('application/json') && type !== 'application/x-www-form-urlencoded') {
          // A key that may call the route gets 415; otherwise authentication answers first.
          expect({ what, refused: [401, 403, 415].includes(res.status) }).toEqual({
            what,
            refused: true,
          });
        }
      }
    }
  });

  it('malformed URLs and percent-encoding in every path parameter', async () => {
    const garbage = [
      '%',
      '%E0%A4%A',
      '%C0%AF',
      '%ED%A0%80',
      '%00',
      '..%2F..%2F',
      '%FF%FE',
      '%2e%2e',
    ];
    for (const route of routes.filter((r) => r.pathParams.length > 0)) {
      for (const g of garbage) {
        const path = route.path.replace(/\{\w+\}/g, g);
        for (const caller of ['gateway', 'dashboard', 'admin'] as const) {
          if (isOperatorAction(route, caller)) continue;
          const body = route.method === 'GET' ? undefined : '{}';
          await probe(route, path, caller, body, `${route.method} ${path} (${caller})`);
        }
      }
    }
  });

  describe('store webhooks with bad signatures', () => {
    const realisticStripeEvent = (id: string) =>
      JSON.stringify(
        {
          id,
          object: 'event',
          api_version: '2025-09-30.clover',
          created: Math.floor(Date.now() / 1000),
          data: {
            object: {
              id: 'sub_fz',
              object: 'subscription',
              status: 'active',
              metadata: { account_id: seeded[0].accountId },
            },
          },
          livemode: true,
          pending_webhooks: 1,
          request: { id: null, idempotency_key: null },
          type: 'customer.subscription.updated',
        },
        null,
        2,
      );

    it('Stripe: missing, malformed, foreign, stale and mismatched signatures', async () => {
      const route = routes.find((r) => r.path === '/webhooks/stripe')!;
      const now = Math.floor(Date.now() / 1000);
      const other = webhookSecret();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.stringMatching(/^evt_[A-Za-z0-9]{14}$/).map(realisticStripeEvent),
            hostileValue.map((v) => JSON.stringify(v)),
          ),
          fc.constantFrom(
            'none',
            'garbage',
            'random_v1',
            'other_secret',
            'stale',
            'tampered',
            'v0_only',
            'empty_v1',
          ),
          async (body, kind) => {
            const headers: Record<string, string> = {};
            const sign = (payload: string, secret: string, at: number) =>
              signStripePayload(payload, secret, at);
            switch (kind) {
              case 'none':
                break;
              case 'garbage':
                headers['stripe-signature'] = "' OR 1=1 --";
                break;
              case 'random_v1':
                headers['stripe-signature'] = `t=${now},v1=${'ab'.repeat(32)}`;
                break;
              case 'other_secret':
                headers['stripe-signature'] = sign(body, other, now);
                break;
              case 'stale':
                headers['stripe-signature'] = sign(body, rig.stripeSecret, now - 301);
                break;
              case 'tampered':
                headers['stripe-signature'] = sign(body, rig.stripeSecret, now);
                body = `${body} `;
                break;
              case 'v0_only':
                headers['stripe-signature'] = sign(body, rig.stripeSecret, now).replace(
                  'v1=',
                  'v0=',
                );
                break;
              case 'empty_v1':
                headers['stripe-signature'] = `t=${now},v1=`;
                break;
            }
            const before = await tableFingerprint(db);
            const res = await send('POST', route.path, 'none', body, 'application/json', headers);
            const what = `stripe ${kind}: ${body.slice(0, 200)}`;
            checkAnswer(res, what);
            expect({ what, status: res.status >= 400 && res.status < 500 }).toEqual({
              what,
              status: true,
            });
            expect(await tableFingerprint(db)).toEqual(before);
          },
        ),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });

    it('Apple: JWS that is not signed by a trusted chain, tampered, or not a JWS at all', async () => {
      const foreign = new AppleNotificationSigner(AppleTestCa.create('Not Apple').signer());
      const genuine = rig.apple.notification({
        notificationType: 'SUBSCRIBED',
        subtype: 'INITIAL_BUY',
        signedDate: Date.now(),
      }).signedPayload;
      const [h, p, s] = genuine.split('.');
      const forged = foreign.notification({
        notificationType: 'SUBSCRIBED',
        subtype: 'INITIAL_BUY',
        signedDate: Date.now(),
      }).signedPayload;
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const variants: unknown[] = [
        forged,
        `${h}.${b64({ notificationType: 'REFUND', data: { bundleId: TEST_APPLE_APP.bundleId } })}.${s}`,
        `${b64({ alg: 'none' })}.${p}.`,
        `${b64({ alg: 'ES256', x5c: ['bm90IGEgY2VydA=='] })}.${p}.${s}`,
        `${b64({ alg: 'HS256', x5c: JSON.parse(Buffer.from(h, 'base64url').toString()).x5c })}.${p}.${s}`,
        `${h}.${p}`,
        'a.b.c',
        '',
        12,
        null,
        { nested: genuine },
      ];
      const route = routes.find((r) => r.path === '/webhooks/apple')!;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.constantFrom(...variants).map((v) => JSON.stringify({ signedPayload: v })),
            hostileString.map((v) => JSON.stringify({ signedPayload: v })),
            hostileValue.map((v) => JSON.stringify(v)),
          ),
          async (body) => {
            const before = await tableFingerprint(db);
            const res = await send('POST', route.path, 'none', body);
            const what = `apple: ${body.slice(0, 200)}`;
            checkAnswer(res, what);
            expect({ what, clientError: res.status >= 400 && res.status < 500 }).toEqual({
              what,
              clientError: true,
            });
            expect(await tableFingerprint(db)).toEqual(before);
          },
        ),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });

    it('Google: push tokens that are missing, forged, for another audience or signer, or expired', async () => {
      const route = routes.find((r) => r.path === '/webhooks/google')!;
      const signer = rig.googleSigner;
      const tokens: Record<string, string | undefined> = {
        none: undefined,
        garbage: 'Bearer not.a.jwt',
        basic: 'Basic dXNlcjpwYXNz',
        unpublished_kid: `Bearer ${signer.token(GOOGLE_AUDIENCE, GOOGLE_PUSH_ACCOUNT, {}, { signWith: 'unpublished_kid' })}`,
        foreign_key: `Bearer ${signer.token(GOOGLE_AUDIENCE, GOOGLE_PUSH_ACCOUNT, {}, { signWith: 'foreign_key_same_kid' })}`,
        other_audience: `Bearer ${signer.token('https://elsewhere.example.com/push', GOOGLE_PUSH_ACCOUNT)}`,
        other_signer: `Bearer ${signer.token(GOOGLE_AUDIENCE, 'someone@example-project.iam.gserviceaccount.com')}`,
        expired: `Bearer ${signer.token(GOOGLE_AUDIENCE, GOOGLE_PUSH_ACCOUNT, {
          iat: Math.floor(Date.now() / 1000) - 7200,
          exp: Math.floor(Date.now() / 1000) - 3600,
        })}`,
        unverified_email: `Bearer ${signer.token(GOOGLE_AUDIENCE, GOOGLE_PUSH_ACCOUNT, { email_verified: false })}`,
        no_email: `Bearer ${signer.token(GOOGLE_AUDIENCE, GOOGLE_PUSH_ACCOUNT, {}, { omit: ['email'] })}`,
      };
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...Object.keys(tokens)),
          fc.oneof(
            fc
              .stringMatching(/^[a-z]{24}$/)
              .map((token) =>
                JSON.stringify(
                  pubsubPush(
                    `${Date.now()}${token.length}`,
                    subscriptionNotification(GOOGLE_PACKAGE, 4, token, new Date()),
                  ),
                ),
              ),
            hostileValue.map((v) => JSON.stringify(v)),
          ),
          async (kind, body) => {
            const headers: Record<string, string> = {};
            if (tokens[kind]) headers.authorization = tokens[kind];
            const before = await tableFingerprint(db);
            const res = await send('POST', route.path, 'none', body, 'application/json', headers);
            const what = `google ${kind}: ${body.slice(0, 200)}`;
            checkAnswer(res, what);
            expect({ what, clientError: res.status >= 400 && res.status < 500 }).toEqual({
              what,
              clientError: true,
            });
            expect(await tableFingerprint(db)).toEqual(before);
          },
        ),
        { numRuns: Math.ceil(RUNS / 2) },
      );
      // Nothing was asked of the Play Developer API for an unverified push.
      expect(rig.playApi.requests).toEqual([]);
    });
  });

  describe('body size limit on every route', () => {
    const pad = (size: number) => {
      const head = '{"padding":"';
      return `${head}${'x'.repeat(size - head.length - 2)}"}`;
    };

    it('413 with the envelope just over the limit; a body at the limit is read', async () => {
      for (const route of routes.filter((r) => r.method !== 'GET')) {
        const path = fillPath(route, ['job_1']);
        const over = await send(route.method, path, 'gateway', pad(BODY_LIMIT + 1));
        expect({ route: route.path, status: over.status, body: over.body as unknown }).toEqual({
          route: route.path,
          status: 413,
          body: { error: { code: 'payload_too_large', message: expect.any(String) } },
        });
        const at = await send(route.method, path, 'gateway', pad(BODY_LIMIT));
        checkAnswer(at, `${route.method} ${route.path} at the limit`);
        expect({ route: route.path, tooLarge: at.status === 413 }).toEqual({
          route: route.path,
          tooLarge: false,
        });
      }
    });

    it('refuses a huge declared Content-Length before the body is sent, and a huge chunked body', async () => {
      await t.app.listen(0, '127.0.0.1');
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      for (const route of routes.filter((r) => r.method !== 'GET')) {
        const path = fillPath(route, ['job_1']);
        // Declares 1 GiB and sends nothing: the answer must come from the header alone.
        const declared = await rawPost(port, path, { 'content-length': String(2 ** 30) }, null);
        expect({ route: route.path, status: declared.status }).toEqual({
          route: route.path,
          status: 413,
        });
        expect(JSON.parse(declared.body)).toEqual({
          error: { code: 'payload_too_large', message: expect.any(String) },
        });
        // Chunked, no length: counted as it streams.
        const chunked = await rawPost(
          port,
          path,
          { 'transfer-encoding': 'chunked' },
          Buffer.alloc(BODY_LIMIT * 4, 'a'),
        );
        expect({ route: route.path, status: chunked.status }).toEqual({
          route: route.path,
          status: 413,
        });
      }
    });
  });

  // Last, after everything above: the seeded accounts answer as they did before it.
  it('leaves the seeded accounts’ entitlement and coverage answers unchanged', async () => {
    expect(await answers()).toEqual(answersBefore);
  });
});

/** A POST over a raw socket, so the test controls the framing headers. */
function rawPost(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: Buffer | null,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TEST_KEYS.gateway}`,
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    // The server may answer and close before the whole body is written.
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') reject(e);
    });
    if (body) req.write(body);
    if (!headers['content-length']) req.end();
    else req.flushHeaders();
  });
}
