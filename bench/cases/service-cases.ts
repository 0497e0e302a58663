/**
 * The service's measured cases. Each says when it cannot run (the feature is not there), what
 * requests autocannon sends, and optionally what to check after.
 */
import type autocannon from 'autocannon';
import type { CaseResult } from '../lib/load';
import { BENCH_GATEWAY_KEY, BenchFixtures } from '../fixtures/bench-fixtures';

export interface ServiceCase {
  id: string;
  name: string;
  unit?: string;
  note?: string;
  headers?: Record<string, string>;
  /** A reason not to run, or null. */
  unavailable(serviceUrl: string): Promise<string | null>;
  requests(): autocannon.Request[];
  before?(serviceUrl: string): Promise<unknown>;
  after?(serviceUrl: string, result: CaseResult, before: unknown): Promise<string | null>;
}

const gateway = { authorization: `Bearer ${BENCH_GATEWAY_KEY}` };

async function routeMissing(
  serviceUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<string | null> {
  const res = await fetch(`${serviceUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 404) {
    const text = await res.text();
    if (/No such route/.test(text)) return `${method} ${path} does not exist in this build`;
  }
  if (res.status === 503)
    return `${method} ${path} answers 503 (not configured): ${await res.text()}`;
  return null;
}

export function serviceCases(f: BenchFixtures): ServiceCase[] {
  return [
    {
      id: 'live',
      name: 'GET /health/live (the service framework floor)',
      note: 'the cheapest route of the service: Nest, the global guard, pino request logging and the metrics hook, no database. The gap between this and the bare handler is the framework and plumbing cost every route pays.',
      unavailable: async () => null,
      requests: () => [{ method: 'GET', path: '/health/live' }],
    },
    {
      id: 'models',
      name: 'GET /v1/models',
      note: 'the catalog listing (49 models with default estimates, ~20 KB of JSON).',
      headers: gateway,
      unavailable: (url) => routeMissing(url, 'GET', '/v1/models', undefined, gateway),
      requests: () => [{ method: 'GET', path: '/v1/models' }],
    },
    {
      id: 'coverage',
      name: 'POST /v1/coverage',
      note: 'varied accounts (all seeded states and plans) and models (every catalog model).',
      headers: gateway,
      unavailable: (url) => routeMissing(url, 'POST', '/v1/coverage', f.coverageBody(), gateway),
      requests: () => [
        {
          method: 'POST',
          path: '/v1/coverage',
          setupRequest: (req) => ({ ...req, body: JSON.stringify(f.coverageBody()) }),
        },
      ],
    },
  ];
}
