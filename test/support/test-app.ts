import type { DynamicModule, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter, NEST_APP_OPTIONS } from '../../src/bootstrap';
import { Clock, ManualClock } from '../../src/common/clock';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import type { Env } from '../../src/config/env-parsers';
import { TEST_API_KEYS_ENV } from './test-keys';

type ModuleImport = Type<unknown> | DynamicModule;

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** The app's HTTP server, for supertest: `request(t.server)`. */
  server: ReturnType<NestFastifyApplication['getHttpServer']>;
  clock?: ManualClock;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment on top of the test defaults (API keys, the run's database). */
  env?: Env;
  /** Give the app a controllable clock. */
  clock?: ManualClock;
  /** Extra modules mounted beside the app's own (test-only routes). */
  imports?: ModuleImport[];
  /** Swap providers (store clients, verifiers...) before the app is built. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/** The environment a test app gets: keys, quiet logs, and the run's database. */
export function testEnv(extra: Env = {}): Env {
  return {
    API_KEYS: TEST_API_KEYS_ENV,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: process.env.DATABASE_URL,
    PGLITE_DATA_DIR: process.env.PGLITE_DATA_DIR ?? 'memory://',
    INBOX_POLL_INTERVAL_MS: '50',
    ...extra,
  };
}

/** Builds the real app (same modules, same bootstrap) with test configuration, listening on no port. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig(testEnv(options.env));
  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot(config), ...(options.imports ?? [])],
  });
  if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createFastifyAdapter(config),
    NEST_APP_OPTIONS,
  );
  await configureApp(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    server: app.getHttpServer(),
    clock: options.clock,
    close: () => app.close(),
  };
}
