import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { IsIn, IsInt, IsString, Min } from 'class-validator';
import request from 'supertest';
import { RequireScopes } from '../../src/common/auth/require-scopes.decorator';
import { createTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/http';
import { bearer, TEST_KEYS } from '../support/test-keys';

class ProbeDto {
  @IsString() name!: string;
  @IsInt() @Min(1) count!: number;
  @IsIn(['a', 'b']) kind!: string;
}

/** Routes that exist only in this suite, to exercise the guard and the pipes in isolation. */
@Controller('probe')
class ProbeController {
  @Get('gateway')
  @RequireScopes('gateway')
  gateway(): { ok: true } {
    return { ok: true };
  }

  @Get('unscoped')
  unscoped(): { ok: true } {
    return { ok: true };
  }

  @Post('validate')
  @RequireScopes('gateway')
  validate(@Body() body: ProbeDto): ProbeDto {
    return body;
  }

  @Get('crash')
  @RequireScopes('gateway')
  crash(): never {
    throw new Error('secret internal detail');
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('API keys, validation and the error envelope', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ imports: [ProbeModule] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('401 without a key, with a malformed header, or with an unknown key', async () => {
    await expectError(request(t.server).get('/probe/gateway'), 401, 'unauthenticated');
    await expectError(
      request(t.server).get('/probe/gateway').set('authorization', TEST_KEYS.gateway),
      401,
      'unauthenticated',
    );
    await expectError(
      request(t.server)
        .get('/probe/gateway')
        .set('authorization', 'Bearer not-a-configured-key-000000'),
      401,
      'unauthenticated',
    );
  });

  it('403 with a key of the wrong scope, 200 with the right one', async () => {
    await expectError(
      request(t.server).get('/probe/gateway').set('authorization', bearer('dashboard')),
      403,
      'forbidden',
    );
    await request(t.server)
      .get('/probe/gateway')
      .set('authorization', bearer('gateway'))
      .expect(200, { ok: true });
  });

  it('treats a route that names no scope as admin-only', async () => {
    await expectError(
      request(t.server).get('/probe/unscoped').set('authorization', bearer('gateway')),
      403,
      'forbidden',
    );
    await request(t.server)
      .get('/probe/unscoped')
      .set('authorization', bearer('admin'))
      .expect(200, { ok: true });
  });

  it('400 naming every bad field, and refuses unknown fields', async () => {
    const res = await request(t.server)
      .post('/probe/validate')
      .set('authorization', bearer('gateway'))
      .send({ name: 3, count: 0, kind: 'c', extra: true })
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    for (const field of ['name', 'count', 'kind', 'extra']) {
      expect(res.body.error.message).toContain(field);
    }
  });

  it('400 invalid_json on a body that is not JSON', async () => {
    await expectError(
      request(t.server)
        .post('/probe/validate')
        .set('authorization', bearer('gateway'))
        .set('content-type', 'application/json')
        .send('{"name": '),
      400,
      'invalid_json',
    );
  });

  it('415 on a body that is not JSON by content type', async () => {
    await expectError(
      request(t.server)
        .post('/probe/validate')
        .set('authorization', bearer('gateway'))
        .set('content-type', 'text/plain')
        .send('hello'),
      415,
      'unsupported_media_type',
    );
  });

  it('431 in the envelope on headers over the HTTP parser limit, on any route', async () => {
    for (const path of ['/v1/coverage', `/v1/jobs/j1/heartbeat?q=${'a'.repeat(20_000)}`]) {
      const req = request(t.server).post(path).set('authorization', bearer('gateway'));
      await expectError(
        path.length > 100 ? req : req.set('x-padding', 'p'.repeat(20_000)),
        431,
        'request_headers_too_large',
      );
    }
  });

  it('413 on a body over the limit', async () => {
    const big = JSON.stringify({
      name: 'x'.repeat(t.config.bodyLimitBytes + 10),
      count: 1,
      kind: 'a',
    });
    await expectError(
      request(t.server)
        .post('/probe/validate')
        .set('authorization', bearer('gateway'))
        .set('content-type', 'application/json')
        .send(big),
      413,
      'payload_too_large',
    );
  });

  it('a 500 says only an error id, never the internal detail', async () => {
    const res = await request(t.server)
      .get('/probe/crash')
      .set('authorization', bearer('gateway'))
      .expect(500);
    expect(res.body.error.code).toBe('internal_error');
    expect(res.body.error.message).toMatch(/^Internal error \(id [0-9a-f-]{36}\)\.$/);
    expect(JSON.stringify(res.body)).not.toContain('secret internal detail');
  });

  it('404 for an unknown route even without a key', async () => {
    await expectError(request(t.server).post('/nowhere'), 404, 'not_found');
  });
});
