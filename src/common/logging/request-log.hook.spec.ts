import Fastify, { type FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { requestLogHook } from './request-log.hook';

describe('requestLogHook', () => {
  let lines: Record<string, unknown>[];
  let app: FastifyInstance;

  async function serve(level: 'info' | 'debug'): Promise<void> {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    app = Fastify({ genReqId: () => 'req-1' });
    app.addHook('onResponse', requestLogHook(pino({ level }, sink)));
    app.get('/health/live', async () => ({ ok: true }));
    app.get('/v1/models', async () => ({ models: [] }));
    app.post('/v1/coverage', async (request, reply) =>
      reply.status((request.body as { bad?: boolean }).bad ? 400 : 200).send({}),
    );
    await app.ready();
  }

  afterEach(async () => {
    await app.close();
  });

  it('writes one line per request with its id, method, URL, status and time', async () => {
    await serve('info');
    await app.inject({ method: 'GET', url: '/v1/models?page=2' });
    expect(lines).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        pid: process.pid,
        hostname: expect.any(String),
        req: { id: 'req-1', method: 'GET', url: '/v1/models?page=2' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        msg: 'request completed',
      },
    ]);
  });

  it('leaves probes out, and logs a successful hot-path request at debug only', async () => {
    await serve('info');
    await app.inject({ method: 'GET', url: '/health/live' });
    await app.inject({ method: 'POST', url: '/v1/coverage', payload: {} });
    expect(lines).toEqual([]);
    await app.inject({ method: 'POST', url: '/v1/coverage', payload: { bad: true } });
    expect(lines.map((l) => [l.level, l.res])).toEqual([[30, { statusCode: 400 }]]);
    await app.close();

    await serve('debug');
    await app.inject({ method: 'POST', url: '/v1/coverage', payload: {} });
    expect(lines.map((l) => [l.level, l.res])).toEqual([[20, { statusCode: 200 }]]);
  });
});
