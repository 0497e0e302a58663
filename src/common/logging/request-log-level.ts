import type { IncomingMessage } from 'node:http';

/** What the request logger sees of a request (middie adds `originalUrl`). */
type LoggedRequest = Pick<IncomingMessage, 'url'> & { originalUrl?: string };

/** Routes polled by probes and scrapers: never logged per request. */
const UNLOGGED_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * The hot path (coverage checks, admissions, heartbeats, finishes): thousands a second, each
 * already counted by `http_requests_total` and `coverage_decisions_total`. Their successful
 * requests are logged at debug; their 4xx and 5xx stay at info like every other route's. Fastify
 * serves them directly and they log their own request lines (`CoverageRoutes`, at this level);
 * the request logging middleware skips them.
 */
const HOT_PATHS = /^\/v1\/(coverage|jobs)(\/|$)/;

/**
 * The path as the client sent it, without the query. Nest runs this middleware through
 * @fastify/middie, which strips the mount prefix from `req.url` and keeps the whole URL in
 * `req.originalUrl`.
 */
function requestPath(req: LoggedRequest): string {
  const url = req.originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Probes and scrapes: no request line at all. */
export function isUnlogged(req: LoggedRequest): boolean {
  return UNLOGGED_PATHS.has(requestPath(req));
}

/** The level of a request's line: debug for a successful hot-path request, else info. */
export function requestLogLevel(
  req: LoggedRequest,
  res: { statusCode: number },
  err?: Error,
): 'debug' | 'info' {
  return err === undefined && res.statusCode < 400 && HOT_PATHS.test(requestPath(req))
    ? 'debug'
    : 'info';
}
