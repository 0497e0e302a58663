import { isUnlogged, requestLogLevel } from './request-log-level';

describe('request log lines', () => {
  it.each([
    ['/health/live', true],
    ['/health/ready', true],
    ['/metrics', true],
    ['/health/live?probe=1', true],
    ['/v1/coverage', false],
    ['/health/livez', false],
    ['/v1/models', false],
  ])('%s is left out of the request log: %s', (path, unlogged) => {
    expect(isUnlogged(path)).toBe(unlogged);
  });

  it.each([
    ['/v1/coverage', 200, 'debug'],
    ['/v1/jobs', 201, 'debug'],
    ['/v1/jobs/job_1/heartbeat', 200, 'debug'],
    ['/v1/jobs/job_1/finish?x=1', 200, 'debug'],
    ['/v1/jobs', 429, 'info'],
    ['/v1/coverage', 400, 'info'],
    ['/v1/coverage', 503, 'info'],
    ['/v1/coverage', 500, 'info'],
    ['/v1/coverages', 200, 'info'],
    ['/v1/models', 200, 'info'],
    ['/webhooks/stripe', 200, 'info'],
    ['/v1/accounts/a/entitlement', 200, 'info'],
  ])('%s answered %i is logged at %s', (path, statusCode, level) => {
    expect(requestLogLevel(path, statusCode)).toBe(level);
  });
});
