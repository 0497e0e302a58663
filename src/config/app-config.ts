import { ConfigValueError, Env, bool, int, num, oneOfList, list, str, url } from './env-parsers';

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
    /** How long a worker's claim on an event lasts; past it another instance takes it over. */
    leaseMs: number;
  };
  catalog: {
    /** A JSON product map replacing the bundled one (PRODUCT_MAP_PATH); unset: the bundled map. */
    productMapPath: string | undefined;
  };
  coverage: CoverageConfig;
}

/** Daily fair-use thresholds of one plan, in render-Spark of completed covered jobs per UTC day. */
export interface FairUseThresholdsConfig {
  /** At or past this, covered jobs run at `subscription_throttled` priority. */
  throttleAtSpark: number;
  /** At or past this, the plan's effective concurrency is halved (at least 1). */
  reduceAtSpark: number;
}

/** Job admission, fair use and trial limits (SPEC §6, seed 001 §5 and §10). */
export interface CoverageConfig {
  fairUse: { unlimited: FairUseThresholdsConfig; unlimited_pro: FairUseThresholdsConfig };
  trial: {
    /** Completed (plus running) covered jobs per UTC day during a trial. */
    dailyJobCap: number;
    /** Render-Spark of completed covered jobs over the whole trial. */
    renderSparkAllowance: number;
    maxImageEdge: number;
    maxImagePixels: number;
    maxVideoEdge: number;
    maxVideoSeconds: number;
    /** Jobs through the API channel during a trial (the seed: API access is limited). */
    apiAllowed: boolean;
  };
  /** How long a job holds its slot without a heartbeat, per class. */
  leaseSeconds: { image: number; video: number; audio: number; llm: number; agent: number };
  /** Retry-After of a 429 at the concurrency limit. */
  retryAfterSeconds: number;
  /** Per-instance entitlement and counters caches of the coverage check (invalidated by LISTEN). */
  cacheTtlMs: number;
  cacheMaxEntries: number;
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
      leaseMs: read(
        'INBOX_LEASE_MS',
        () => int(env, 'INBOX_LEASE_MS', 300000, 1000, 3600000),
        300000,
      ),
    },
    catalog: {
      productMapPath: str(env, 'PRODUCT_MAP_PATH'),
    },
    coverage: readCoverageConfig(env, read, problems),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Coverage defaults, and why:
 * - Fair use (render-Spark per UTC day; 1 Spark = one SDXL 1024 image): Unlimited throttles at
 *   2,000 (about 500 FLUX-class images or 40 WAN clips: far above a busy creative day, so only
 *   sustained automation meets it) and halves concurrency at 4,000; Unlimited Pro, with 4x the
 *   concurrency for 2.5x the price, gets 3x: 6,000 and 12,000.
 * - Trial: 100 jobs a day and 300 render-Spark over the whole trial (enough to try every covered
 *   model, images and a few clips); images up to 1536 px and 1.5 MP, video up to 720p (1280 px)
 *   and 5 s (every open video model's default clip); no API channel.
 * - Leases: image 5 min, video 30 min, audio 10 min, LLM 5 min, agent 30 min; heartbeats extend.
 */
function readCoverageConfig(
  env: Env,
  read: <T>(name: string, fn: () => T, fallback: T) => T,
  problems: string[],
): CoverageConfig {
  const sparkMax = 10_000_000;
  const thresholds = (plan: string, throttle: number, reduce: number): FairUseThresholdsConfig => {
    const t = `FAIR_USE_${plan}_THROTTLE_SPARK`;
    const r = `FAIR_USE_${plan}_REDUCE_SPARK`;
    const value = {
      throttleAtSpark: read(t, () => num(env, t, throttle, 0, sparkMax), throttle),
      reduceAtSpark: read(r, () => num(env, r, reduce, 0, sparkMax), reduce),
    };
    if (value.reduceAtSpark < value.throttleAtSpark) {
      problems.push(`${r} must not be below ${t}`);
    }
    return value;
  };
  const lease = (cls: string, fallback: number): number => {
    const name = `LEASE_SECONDS_${cls}`;
    return read(name, () => int(env, name, fallback, 5, 86_400), fallback);
  };
  return {
    fairUse: {
      unlimited: thresholds('UNLIMITED', 2000, 4000),
      unlimited_pro: thresholds('UNLIMITED_PRO', 6000, 12000),
    },
    trial: {
      dailyJobCap: read(
        'TRIAL_DAILY_JOB_CAP',
        () => int(env, 'TRIAL_DAILY_JOB_CAP', 100, 0, 1_000_000),
        100,
      ),
      renderSparkAllowance: read(
        'TRIAL_RENDER_SPARK_ALLOWANCE',
        () => num(env, 'TRIAL_RENDER_SPARK_ALLOWANCE', 300, 0, sparkMax),
        300,
      ),
      maxImageEdge: read(
        'TRIAL_MAX_IMAGE_EDGE',
        () => int(env, 'TRIAL_MAX_IMAGE_EDGE', 1536, 64, 16_384),
        1536,
      ),
      maxImagePixels: read(
        'TRIAL_MAX_IMAGE_PIXELS',
        () => int(env, 'TRIAL_MAX_IMAGE_PIXELS', 1_572_864, 4096, 268_435_456),
        1_572_864,
      ),
      maxVideoEdge: read(
        'TRIAL_MAX_VIDEO_EDGE',
        () => int(env, 'TRIAL_MAX_VIDEO_EDGE', 1280, 64, 16_384),
        1280,
      ),
      maxVideoSeconds: read(
        'TRIAL_MAX_VIDEO_SECONDS',
        () => num(env, 'TRIAL_MAX_VIDEO_SECONDS', 5, 0, 3600),
        5,
      ),
      apiAllowed: read('TRIAL_API_ACCESS', () => bool(env, 'TRIAL_API_ACCESS', false), false),
    },
    leaseSeconds: {
      image: lease('IMAGE', 300),
      video: lease('VIDEO', 1800),
      audio: lease('AUDIO', 600),
      llm: lease('LLM', 300),
      agent: lease('AGENT', 1800),
    },
    retryAfterSeconds: read(
      'COVERAGE_RETRY_AFTER_SECONDS',
      () => int(env, 'COVERAGE_RETRY_AFTER_SECONDS', 5, 1, 3600),
      5,
    ),
    cacheTtlMs: read(
      'COVERAGE_CACHE_TTL_MS',
      () => int(env, 'COVERAGE_CACHE_TTL_MS', 10_000, 0, 3_600_000),
      10_000,
    ),
    cacheMaxEntries: read(
      'COVERAGE_CACHE_MAX_ENTRIES',
      () => int(env, 'COVERAGE_CACHE_MAX_ENTRIES', 100_000, 0, 10_000_000),
      100_000,
    ),
  };
}
