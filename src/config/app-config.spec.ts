import { ConfigError, loadConfig } from './app-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults on an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.database.url).toBeUndefined();
    expect(c.database.pgliteDataDir).toBe('./.data');
    expect(c.apiKeys).toEqual([]);
    expect(c.stripe.webhookSecrets).toEqual([]);
    expect(c.apple.environments).toEqual(['Production']);
    expect(c.apple.onlineChecks).toBe(true);
    expect(c.entitlements.acceptSandbox).toBe(false);
    expect(c.entitlements.pastDueCovered).toBe(false);
  });

  it('parses API keys as scope:secret pairs', () => {
    const c = loadConfig({ API_KEYS: 'gateway:0123456789abcdef, admin:fedcba9876543210xyz' });
    expect(c.apiKeys).toEqual([
      { scope: 'gateway', secret: '0123456789abcdef' },
      { scope: 'admin', secret: 'fedcba9876543210xyz' },
    ]);
  });

  it.each([
    ['API_KEYS', 'nonsense'],
    ['API_KEYS', 'root:0123456789abcdef'],
    ['API_KEYS', 'gateway:short'],
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['DATABASE_URL', 'not a url'],
    ['STRIPE_WEBHOOK_SECRET', 'sk_live_123'],
    ['STRIPE_SECRET_KEY', 'pk_test_123'],
    ['STRIPE_API_URL', 'ftp://x'],
    ['APPLE_APP_APPLE_ID', '12ab'],
    ['APPLE_ENVIRONMENTS', 'Production,Xcode'],
    ['APPLE_ONLINE_CHECKS', 'maybe'],
    ['GOOGLE_OIDC_CERTS_URL', 'nope'],
    ['GOOGLE_PLAY_API_URL', 'nope'],
    ['ACCEPT_SANDBOX', '2'],
    ['LOG_LEVEL', 'loud'],
  ])('names %s when it is %p', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(`${name} `)).toBe(true);
  });

  it('names every bad variable at once, and never echoes a value', () => {
    const secret = 'sk_nope_supersecretvalue';
    const e = (() => {
      try {
        loadConfig({ PORT: 'abc', API_KEYS: 'nonsense', STRIPE_SECRET_KEY: secret });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(e.problems.map((p) => p.split(' ')[0]).sort()).toEqual([
      'API_KEYS',
      'PORT',
      'STRIPE_SECRET_KEY',
    ]);
    expect(e.message).not.toContain(secret);
    expect(e.message).not.toContain('nonsense');
  });

  it('accepts several webhook secrets for rotation and Sandbox when listed', () => {
    const c = loadConfig({
      STRIPE_WEBHOOK_SECRET: 'whsec_a,whsec_b',
      APPLE_ENVIRONMENTS: 'Production,Sandbox',
    });
    expect(c.stripe.webhookSecrets).toEqual(['whsec_a', 'whsec_b']);
    expect(c.apple.environments).toEqual(['Production', 'Sandbox']);
  });
});
