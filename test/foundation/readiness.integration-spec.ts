import request from 'supertest';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

const databaseUrl = process.env.DATABASE_URL;
// Cutting the connection needs a database over TCP; the embedded one lives in-process.
const describeWithServer = databaseUrl ? describe : describe.skip;

describeWithServer('readiness follows the database (through a TCP proxy)', () => {
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    const target = new URL(databaseUrl!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(databaseUrl!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    t = await createTestApp({
      env: { DATABASE_URL: viaProxy.toString(), DATABASE_POOL_SIZE: '2' },
    });
  });

  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await t?.close();
    await proxy.stop();
  });

  const readyStatus = async () => (await request(t.server).get('/health/ready')).status;

  it('is ready, goes unready when the database is unreachable, and recovers when it returns', async () => {
    expect(await readyStatus()).toBe(200);

    await proxy.cut();
    await waitFor(async () => (await readyStatus()) === 503, {
      what: 'readiness 503',
      timeoutMs: 15_000,
    });
    const down = await request(t.server).get('/health/ready');
    expect(down.body.error.code).toBe('not_ready');
    expect(down.headers['retry-after']).toBeDefined();
    // Liveness does not depend on the database.
    await request(t.server).get('/health/live').expect(200);

    await proxy.restore();
    await waitFor(async () => (await readyStatus()) === 200, {
      what: 'readiness 200',
      timeoutMs: 15_000,
    });
  });
});
