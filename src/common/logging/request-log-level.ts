/** Routes polled by probes and scrapers: never logged per request. */
const UNLOGGED_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * The hot path (coverage checks, admissions, heartbeats, finishes): thousands a second, each
 * already counted by `http_requests_total` and `coverage_decisions_total`. Their successful
 * requests are logged at debug; their 4xx and 5xx stay at info like every other route's.
 */
const HOT_PATHS = /^\/v1\/(coverage|jobs)(\/|$)/;

/** The path of a request URL, without the query. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Probes and scrapes: no request line at all. */
export function isUnlogged(url: string): boolean {
  return UNLOGGED_PATHS.has(pathOf(url));
}

/** The level of a request's line: debug for a successful hot-path request, else info. */
export function requestLogLevel(url: string, statusCode: number): 'debug' | 'info' {
  return statusCode < 400 && HOT_PATHS.test(pathOf(url)) ? 'debug' : 'info';
}
