import { startService, freePort } from '../support/service-process';
import { waitFor } from '../support/wait';
import { TEST_API_KEYS_ENV, bearer } from '../support/test-keys';

describe('the service process', () => {
  it.each([
    [{ API_KEYS: 'nonsense' }, ['API_KEYS']],
    [{ PORT: 'abc' }, ['PORT']],
    [
      { PORT: 'abc', API_KEYS: 'nonsense', APPLE_ONLINE_CHECKS: 'perhaps' },
      ['PORT', 'API_KEYS', 'APPLE_ONLINE_CHECKS'],
    ],
  ])('refuses to start with %p, naming every bad variable', async (env, names) => {
    const svc = startService(env);
    const { code } = await svc.exited;
    expect(code).not.toBe(0);
    const out = svc.output();
    expect(out).toContain('Invalid configuration');
    for (const name of names) expect(out).toContain(name);
    // The bad value itself is never echoed (it could be a secret).
    expect(out).not.toContain('nonsense');
  });

  it('serves on embedded Postgres, then shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const svc = startService({
      PORT: String(port),
      API_KEYS: TEST_API_KEYS_ENV,
      PGLITE_DATA_DIR: 'memory://',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(
        async () => {
          try {
            return (await fetch(`${base}/health/ready`)).status === 200;
          } catch {
            return false;
          }
        },
        { timeoutMs: 45_000, intervalMs: 200, what: 'the service to be ready' },
      );
      const metrics = await fetch(`${base}/metrics`, {
        headers: { authorization: bearer('admin') },
      });
      expect(metrics.status).toBe(200);
    } finally {
      svc.child.kill('SIGTERM');
    }
    const { code, signal } = await svc.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
