import { ConfigValueError, Env, bool, int, oneOfList, list, str, url } from './env-parsers';

export const APP_CONFIG = Symbol('APP_CONFIG');

export type ApiScope = 'gateway' | 'dashboard' | 'admin';
export const API_SCOPES: readonly ApiScope[] = ['gateway', 'dashboard', 'admin'];

export interface ApiKey {
  scope: ApiScope;
  secret: string;
}

export type AppleEnvironmentName = 'Production' | 'Sandbox';

export interface AppConfig {
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  database: {
    /** Unset: embedded Postgres (PGlite) in `pgliteDataDir`. */
    url: string | undefined;
    poolSize: number;
    pgliteDataDir: string;
  };
  apiKeys: ApiKey[];
  /** Largest request body accepted, in bytes (413 beyond). */
  bodyLimitBytes: number;
  stripe: {
    webhookSecrets: string[];
    secretKey: string | undefined;
    apiUrl: string | undefined;
    /** Where Checkout sends the customer back. */
    checkoutSuccessUrl: string;
    checkoutCancelUrl: string;
    portalReturnUrl: string;
  };
  apple: {
    rootCertPaths: string[] | undefined;
    bundleId: string | undefined;
    appAppleId: number | undefined;
    environments: AppleEnvironmentName[];
    onlineChecks: boolean;
  };
  google: {
    packageName: string | undefined;
    pubsubAudience: string | undefined;
    pubsubServiceAccount: string | undefined;
    oidcCertsUrl: string | undefined;
    playApiUrl: string | undefined;
    applicationCredentials: string | undefined;
    playAccessToken: string | undefined;
  };
  entitlements: {
    acceptSandbox: boolean;
    /** Store delays absorbed after a period end before it counts as expired. */
    expiryLeewaySeconds: number;
    /** Seed rule: covered jobs are paused while past due. */
    pastDueCovered: boolean;
  };
  inbox: {
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    pollIntervalMs: number;
  };
  catalog: {
    /** A JSON product map replacing the bundled one (PRODUCT_MAP_PATH); unset: the bundled map. */
    productMapPath: string | undefined;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function parseApiKeys(env: Env): ApiKey[] {
  const entries = list(env, 'API_KEYS');
  if (entries === undefined) return [];
  return entries.map((entry, i) => {
    const sep = entry.indexOf(':');
    const scope = sep > 0 ? entry.slice(0, sep) : '';
    const secret = sep > 0 ? entry.slice(sep + 1) : '';
    if (!API_SCOPES.includes(scope as ApiScope)) {
      throw new ConfigValueError(
        `entry ${i + 1} must be scope:secret with scope one of ${API_SCOPES.join(', ')}`,
      );
    }
    if (secret.length < 16) {
      throw new ConfigValueError(`entry ${i + 1} has a secret shorter than 16 characters`);
    }
    return { scope: scope as ApiScope, secret };
  });
}

/**
 * Reads and validates the whole environment once. Throws a ConfigError naming every bad variable.
 * Messages never contain values: some variables are secrets.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  function read<T>(name: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof ConfigValueError)) throw e;
      problems.push(`${name} ${e.message}`);
      return fallback;
    }
  }

  const logLevel = read(
    'LOG_LEVEL',
    () => {
      const v = str(env, 'LOG_LEVEL', 'info')!;
      if (!(LOG_LEVELS as readonly string[]).includes(v)) {
        throw new ConfigValueError(`must be one of ${LOG_LEVELS.join(', ')}`);
      }
      return v as AppConfig['logLevel'];
    },
    'info' as AppConfig['logLevel'],
  );

  const stripeSecrets = read(
    'STRIPE_WEBHOOK_SECRET',
    () => {
      const values = list(env, 'STRIPE_WEBHOOK_SECRET') ?? [];
      if (values.some((v) => !v.startsWith('whsec_'))) {
        throw new ConfigValueError('must be one or more comma-separated whsec_ secrets');
      }
      return values;
    },
    [] as string[],
  );

  const appAppleId = read(
    'APPLE_APP_APPLE_ID',
    () => {
      const raw = str(env, 'APPLE_APP_APPLE_ID');
      if (raw === undefined) return undefined;
      if (!/^\d{1,15}$/.test(raw)) throw new ConfigValueError('must be a positive integer');
      return Number(raw);
    },
    undefined,
  );

  const config: AppConfig = {
    port: read('PORT', () => int(env, 'PORT', 3000, 0, 65535), 3000),
    logLevel,
    database: {
      url: read(
        'DATABASE_URL',
        () => url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
        undefined,
      ),
      poolSize: read('DATABASE_POOL_SIZE', () => int(env, 'DATABASE_POOL_SIZE', 10, 1, 200), 10),
      pgliteDataDir: str(env, 'PGLITE_DATA_DIR', './.data')!,
    },
    apiKeys: read('API_KEYS', () => parseApiKeys(env), []),
    bodyLimitBytes: read(
      'BODY_LIMIT_BYTES',
      () => int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 16 * 1024 * 1024),
      1024 * 1024,
    ),
    stripe: {
      webhookSecrets: stripeSecrets,
      secretKey: read(
        'STRIPE_SECRET_KEY',
        () => {
          const v = str(env, 'STRIPE_SECRET_KEY');
          if (v !== undefined && !/^(sk|rk)_(test|live)_/.test(v)) {
            throw new ConfigValueError('must be a Stripe secret or restricted key (sk_… or rk_…)');
          }
          return v;
        },
        undefined,
      ),
      apiUrl: read('STRIPE_API_URL', () => url(env, 'STRIPE_API_URL'), undefined),
      checkoutSuccessUrl: read(
        'CHECKOUT_SUCCESS_URL',
        () => url(env, 'CHECKOUT_SUCCESS_URL') ?? 'https://dashboard.example.com/billing/success',
        '',
      ),
      checkoutCancelUrl: read(
        'CHECKOUT_CANCEL_URL',
        () => url(env, 'CHECKOUT_CANCEL_URL') ?? 'https://dashboard.example.com/billing',
        '',
      ),
      portalReturnUrl: read(
        'PORTAL_RETURN_URL',
        () => url(env, 'PORTAL_RETURN_URL') ?? 'https://dashboard.example.com/billing',
        '',
      ),
    },
    apple: {
      rootCertPaths: list(env, 'APPLE_ROOT_CERTS'),
      bundleId: str(env, 'APPLE_BUNDLE_ID'),
      appAppleId,
      environments: read(
        'APPLE_ENVIRONMENTS',
        () =>
          oneOfList<AppleEnvironmentName>(
            env,
            'APPLE_ENVIRONMENTS',
            ['Production', 'Sandbox'],
            ['Production'],
          ),
        ['Production'],
      ),
      onlineChecks: read('APPLE_ONLINE_CHECKS', () => bool(env, 'APPLE_ONLINE_CHECKS', true), true),
    },
    google: {
      packageName: str(env, 'GOOGLE_PACKAGE_NAME'),
      pubsubAudience: str(env, 'GOOGLE_PUBSUB_AUDIENCE'),
      pubsubServiceAccount: str(env, 'GOOGLE_PUBSUB_SERVICE_ACCOUNT'),
      oidcCertsUrl: read(
        'GOOGLE_OIDC_CERTS_URL',
        () => url(env, 'GOOGLE_OIDC_CERTS_URL'),
        undefined,
      ),
      playApiUrl: read('GOOGLE_PLAY_API_URL', () => url(env, 'GOOGLE_PLAY_API_URL'), undefined),
      applicationCredentials: str(env, 'GOOGLE_APPLICATION_CREDENTIALS'),
      playAccessToken: str(env, 'GOOGLE_PLAY_ACCESS_TOKEN'),
    },
    entitlements: {
      acceptSandbox: read('ACCEPT_SANDBOX', () => bool(env, 'ACCEPT_SANDBOX', false), false),
      expiryLeewaySeconds: read(
        'EXPIRY_LEEWAY_SECONDS',
        () => int(env, 'EXPIRY_LEEWAY_SECONDS', 3600, 0, 7 * 86400),
        3600,
      ),
      pastDueCovered: read('PAST_DUE_COVERED', () => bool(env, 'PAST_DUE_COVERED', false), false),
    },
    inbox: {
      maxAttempts: read('INBOX_MAX_ATTEMPTS', () => int(env, 'INBOX_MAX_ATTEMPTS', 12, 1, 100), 12),
      backoffBaseMs: read(
        'INBOX_BACKOFF_BASE_MS',
        () => int(env, 'INBOX_BACKOFF_BASE_MS', 1000, 10, 3600000),
        1000,
      ),
      backoffMaxMs: read(
        'INBOX_BACKOFF_MAX_MS',
        () => int(env, 'INBOX_BACKOFF_MAX_MS', 3600000, 10, 86400000),
        3600000,
      ),
      pollIntervalMs: read(
        'INBOX_POLL_INTERVAL_MS',
        () => int(env, 'INBOX_POLL_INTERVAL_MS', 1000, 10, 60000),
        1000,
      ),
    },
    catalog: {
      productMapPath: str(env, 'PRODUCT_MAP_PATH'),
    },
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
