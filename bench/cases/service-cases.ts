/**
 * The service's measured cases. Each says when it cannot run (the feature is not there), what
 * requests autocannon sends, and optionally what to prepare before and to report after.
 */
import type autocannon from 'autocannon';
import { Client } from 'pg';
import type { CaseResult } from '../lib/load';
import { BENCH_GATEWAY_KEY, BenchFixtures } from '../fixtures/bench-fixtures';

export interface CaseContext {
  serviceUrl: string;
  databaseUrl: string;
  log: (m: string) => void;
  /** Requests a case is expected to need (for pools that must be built ahead). */
  expectedRequests: number;
  warmupSeconds: number;
}

export interface ServiceCase {
  id: string;
  name: string;
  unit?: string;
  note?: string;
  headers?: Record<string, string>;
  /** A reason not to run, or null. */
  unavailable(ctx: CaseContext): Promise<string | null>;
  requests(): autocannon.Request[];
  /** Readies the service, after the bare reference of the case and right before its warm-up. */
  before?(ctx: CaseContext): Promise<void>;
  after?(ctx: CaseContext, result: CaseResult): Promise<string | null>;
}

const gateway = { authorization: `Bearer ${BENCH_GATEWAY_KEY}` };

async function routeMissing(
  ctx: CaseContext,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<string | null> {
  const res = await fetch(`${ctx.serviceUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status === 404 && /No such route/.test(text)) {
    return `${method} ${path} does not exist in this build`;
  }
  if (res.status >= 500) return `${method} ${path} answers ${res.status}: ${text.slice(0, 200)}`;
  return null;
}

/** Waits for the inbox to work through what a webhook case stored; reports the drain rate. */
async function drain(ctx: CaseContext, result: CaseResult, store: string): Promise<string> {
  const started = Date.now();
  const c = new Client({ connectionString: ctx.databaseUrl });
  await c.connect();
  try {
    const count = async (where: string) =>
      Number(
        (
          await c.query<{ n: string }>(
            `SELECT count(*) AS n FROM inbox_events WHERE store = $1 AND ${where}`,
            [store],
          )
        ).rows[0].n,
      );
    for (;;) {
      const open = await count(`status IN ('pending', 'processing')`);
      if (open === 0 || Date.now() - started > 300_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const total = await count('true');
    const failed = await count(`status = 'failed'`);
    const open = await count(`status IN ('pending', 'processing')`);
    const drainSeconds = (Date.now() - started) / 1000;
    // Events were stored during the warm-up and the measured run; the worker processed them
    // meanwhile and then worked off the backlog.
    const rate = total / (ctx.warmupSeconds + result.durationSeconds + drainSeconds);
    return (
      `${total.toLocaleString('en-US')} events stored; the inbox worker had processed them ` +
      `${drainSeconds.toFixed(1)} s after the load stopped (≈ ${Math.round(rate).toLocaleString('en-US')} events/s processed end to end)` +
      (open ? `; ${open} still open after 5 minutes` : '') +
      (failed ? `; ${failed} failed` : '')
    );
  } finally {
    await c.end();
  }
}

/** One of the first `n` ids. */
function pickAmong(ids: readonly string[], n: number): string {
  return ids[Math.floor(Math.random() * Math.min(n, ids.length))];
}

/** One coverage check per seeded account (32 at a time): the caches' steady state. */
async function askAboutEveryAccount(ctx: CaseContext, f: BenchFixtures): Promise<void> {
  const started = Date.now();
  const queue = [...f.accountIds];
  const worker = async (): Promise<void> => {
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
      const res = await fetch(`${ctx.serviceUrl}/v1/coverage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...gateway },
        body: JSON.stringify(f.coverageBody(id)),
      });
      if (res.status !== 200)
        throw new Error(`coverage warm-up: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  ctx.log(`asked about all ${f.accountIds.length} accounts once in ${Date.now() - started} ms`);
}

export function serviceCases(f: BenchFixtures): ServiceCase[] {
  let jobSeq = 0;
  return [
    {
      id: 'live',
      name: 'GET /health/live (the service framework floor)',
      note: 'the cheapest route of the service: Nest, the global guard, pino request logging and the metrics hook, no database. The gap between this and the bare handler is what every route pays for the framework and plumbing.',
      unavailable: async () => null,
      requests: () => [{ method: 'GET', path: '/health/live' }],
    },
    {
      id: 'models',
      name: 'GET /v1/models',
      note: 'the catalog listing (49 models with default estimates, about 20 KB of JSON).',
      headers: gateway,
      unavailable: (ctx) => routeMissing(ctx, 'GET', '/v1/models', undefined, gateway),
      requests: () => [{ method: 'GET', path: '/v1/models' }],
    },
    {
      id: 'coverage',
      name: 'POST /v1/coverage',
      note: 'varied accounts (all 10,000 seeded, every plan and state, uniformly at random) and models (every catalog model, vendor ones included), 80% app, 20% API channel. The steady state of a gateway: before the warm-up every account is asked about once, so the per-instance caches hold them; during the run their entries reach the end of their TTL (10 s): those still asked about past 80% of it are read again from Postgres in the background (refresh-ahead, many accounts per statement), the others miss and are read on the request.',
      headers: gateway,
      unavailable: (ctx) => routeMissing(ctx, 'POST', '/v1/coverage', f.coverageBody(), gateway),
      before: (ctx) => askAboutEveryAccount(ctx, f),
      requests: () => [
        {
          method: 'POST',
          path: '/v1/coverage',
          setupRequest: (req) => ({ ...req, body: JSON.stringify(f.coverageBody()) }),
        },
      ],
    },
    {
      id: 'coverage-hot',
      name: 'POST /v1/coverage (1,000 busy accounts)',
      note: 'for comparison, not a target: the same requests over the first 1,000 seeded accounts only (a gateway whose traffic comes from fewer accounts), so nearly every check is answered from the per-instance caches; the gap to the case above is what cache misses cost.',
      headers: gateway,
      unavailable: (ctx) => routeMissing(ctx, 'POST', '/v1/coverage', f.coverageBody(), gateway),
      requests: () => [
        {
          method: 'POST',
          path: '/v1/coverage',
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify(f.coverageBody(pickAmong(f.accountIds, 1000))),
          }),
        },
      ],
    },
    {
      id: 'jobs',
      name: 'POST /v1/jobs + finish (pairs)',
      unit: 'request (an admission or a finish)',
      note: 'admit an open image model for a covered account (random among the seeded ones), then finish it; req/s counts both requests of a pair, like the baseline.',
      headers: gateway,
      unavailable: (ctx) =>
        routeMissing(ctx, 'POST', '/v1/jobs', f.jobBody(`probe_${Date.now()}`), gateway),
      requests: () => [
        {
          method: 'POST',
          path: '/v1/jobs',
          setupRequest: (req, context) => {
            const jobId = `bench_${process.pid}_${++jobSeq}`;
            (context as { jobId: string }).jobId = jobId;
            return { ...req, body: JSON.stringify(f.jobBody(jobId)) };
          },
        },
        {
          method: 'POST',
          setupRequest: (req, context) => ({
            ...req,
            path: `/v1/jobs/${(context as { jobId: string }).jobId}/finish`,
            body: '{"outcome":"completed"}',
          }),
        },
      ],
    },
    {
      id: 'webhook-stripe',
      name: 'POST /webhooks/stripe',
      unit: 'event',
      note: 'distinct events (subscription, invoice, charge… from the Stripe fake’s billing simulation, for seeded accounts), pretty-printed as Stripe sends them, Stripe-Signature computed at send time; each is verified, stored in the inbox and acknowledged, and processed by the inbox worker meanwhile.',
      unavailable: async (ctx) => {
        const d = f.stripeDelivery();
        const res = await fetch(`${ctx.serviceUrl}/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...d.headers },
          body: d.body,
        });
        return res.status === 200
          ? null
          : `a signed event answered ${res.status}: ${await res.text()}`;
      },
      requests: () => [
        {
          method: 'POST',
          path: '/webhooks/stripe',
          setupRequest: (req) => {
            const d = f.stripeDelivery();
            return { ...req, body: d.body, headers: { ...req.headers, ...d.headers } };
          },
        },
      ],
      after: (ctx, result) => drain(ctx, result, 'stripe'),
    },
    {
      id: 'webhook-apple',
      name: 'POST /webhooks/apple',
      unit: 'notification',
      note: 'distinct notifications (SUBSCRIBED and DID_RENEW of linked purchases), each a JWS with an x5c chain under a test root the service trusts, with a signed transaction and renewal info inside (three signatures to verify per notification); signed before the run.',
      before: async (ctx) => f.prepareApple(ctx.serviceUrl, ctx.expectedRequests, ctx.log),
      unavailable: (ctx) => routeMissing(ctx, 'POST', '/webhooks/apple', { signedPayload: 'x' }),
      requests: () => [
        {
          method: 'POST',
          path: '/webhooks/apple',
          setupRequest: (req) => ({ ...req, body: f.appleDelivery() }),
        },
      ],
      after: async (ctx, result) => {
        const reused = f.appleReused();
        return (
          (await drain(ctx, result, 'apple')) +
          (reused
            ? `; the signed pool ran dry: ${reused} deliveries were resends (duplicates)`
            : '')
        );
      },
    },
    {
      id: 'webhook-google',
      name: 'POST /webhooks/google',
      unit: 'push',
      note: 'distinct Pub/Sub pushes (SUBSCRIPTION_RENEWED for 2,000 purchases the Play API fake knows), each with the fake signer’s OIDC token; the inbox worker reads each purchase from the Play API fake (a process of its own).',
      unavailable: async (ctx) => {
        const d = f.googleDelivery();
        const res = await fetch(`${ctx.serviceUrl}/webhooks/google`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...d.headers },
          body: d.body,
        });
        return res.status === 200
          ? null
          : `a signed push answered ${res.status}: ${await res.text()}`;
      },
      requests: () => [
        {
          method: 'POST',
          path: '/webhooks/google',
          setupRequest: (req) => {
            const d = f.googleDelivery();
            return { ...req, body: d.body, headers: { ...req.headers, ...d.headers } };
          },
        },
      ],
      after: (ctx, result) => drain(ctx, result, 'google'),
    },
  ];
}
