import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppException } from '../common/errors/app.exception';
import { loadConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { Catalog } from './catalog';
import { CatalogValidationError } from './catalog.loader';
import { CatalogModule } from './catalog.module';
import { SparkEstimator } from './spark-estimator.service';

async function boot(env: Record<string, string> = {}) {
  return Test.createTestingModule({
    imports: [ConfigModule.forRoot(loadConfig(env)), CatalogModule],
  }).compile();
}

describe('CatalogModule', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'catalog-module-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('provides the catalog and the estimator', async () => {
    const moduleRef = await boot();
    const catalog = moduleRef.get(Catalog);
    const estimator = moduleRef.get(SparkEstimator);
    expect(catalog.plan('unlimited_pro').concurrency.image).toBe(16);
    expect(estimator.estimateById('ltx-2-3-22b-dev')).toEqual({ spark: 34.56, usd: 0.1728 });
    await moduleRef.close();
  });

  it('maps estimator errors to the service error codes', async () => {
    const moduleRef = await boot();
    const estimator = moduleRef.get(SparkEstimator);
    const caught = (fn: () => unknown): AppException => {
      try {
        fn();
      } catch (e) {
        if (e instanceof AppException) return e;
        throw e;
      }
      throw new Error('expected an AppException');
    };
    expect(caught(() => estimator.estimateById('nope'))).toMatchObject({
      code: 'unknown_model',
      status: 422,
    });
    const bad = caught(() => estimator.estimateById('seedance-2-0', { durationSeconds: 20 }));
    expect(bad).toMatchObject({ code: 'invalid_job_parameter', status: 400 });
    expect(bad.message).toContain('durationSeconds');
    await moduleRef.close();
  });

  it('loads the product map named by PRODUCT_MAP_PATH at boot', async () => {
    const path = join(dir, 'map.json');
    writeFileSync(
      path,
      JSON.stringify({
        stripe: [{ lookupKey: 'pro_m', plan: 'unlimited_pro', interval: 'month' }],
        apple: [],
        google: [],
      }),
    );
    const moduleRef = await boot({ PRODUCT_MAP_PATH: path });
    expect(moduleRef.get(Catalog).product('stripe', 'pro_m')).toEqual({
      plan: 'unlimited_pro',
      interval: 'month',
    });
    await moduleRef.close();
  });

  it('stops the boot when the product map is invalid', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ stripe: [{ lookupKey: 'x' }], apple: [], google: [] }));
    await expect(boot({ PRODUCT_MAP_PATH: path })).rejects.toThrow(CatalogValidationError);
    await expect(boot({ PRODUCT_MAP_PATH: join(dir, 'missing.json') })).rejects.toThrow(
      /PRODUCT_MAP_PATH cannot be read/,
    );
  });
});
