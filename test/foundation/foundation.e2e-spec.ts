import type { Server } from 'node:http';
import { storage } from 'nestjs-pino/storage';
import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';
import { bearer } from '../support/test-keys';

describe('foundation over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers liveness and readiness', async () => {
    await request(t.server).get('/health/live').expect(200, { status: 'ok' });
    const ready = await request(t.server).get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
  });

  it('renders an unknown route as a 404 in the error envelope', async () => {
    const res = await request(t.server).get('/v1/nope').set('authorization', bearer('admin'));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('serves Prometheus metrics with per-route request counts', async () => {
    await request(t.server).get('/health/live').expect(200);
    const res = await request(t.server).get('/metrics').expect(200);
    expect(res.text).toMatch(
      /http_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+/,
    );
    expect(res.text).toContain('http_request_duration_seconds_bucket');
  });

  it('runs no request in an AsyncLocalStorage context (it would hook every promise)', async () => {
    const run = jest.spyOn(storage, 'run');
    try {
      await request(t.server).get('/health/live').expect(200);
      await request(t.server).get('/v1/models').set('authorization', bearer('dashboard'));
      await request(t.server)
        .post('/v1/coverage')
        .set('authorization', bearer('gateway'))
        .send({ accountId: 'acct_als', modelId: 'sdxl-1024' })
        .expect(200);
      expect(run).not.toHaveBeenCalled();
      expect(storage.getStore()).toBeUndefined();
    } finally {
      run.mockRestore();
    }
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(t.server).get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toContain('/health/ready');
  });

  it('echoes a sane x-request-id and makes one up otherwise', async () => {
    const given = await request(t.server).get('/health/live').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await request(t.server).get('/health/live').set('x-request-id', 'bad id!');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('bounds slow and silent sockets: a request within 30 s, an idle socket closed after 30 s', () => {
    // Node's request and headers timeouts never close a socket that sends no byte at all; only
    // the server's idle timeout does.
    const server = t.server as Server;
    expect({ timeout: server.timeout, requestTimeout: server.requestTimeout }).toEqual({
      timeout: 30_000,
      requestTimeout: 30_000,
    });
  });
});
