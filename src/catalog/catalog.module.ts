import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Catalog } from './catalog';
import { CatalogController } from './catalog.controller';
import { loadCatalog } from './catalog.loader';
import { CatalogService } from './catalog.service';
import { SparkEstimator } from './spark-estimator.service';

/**
 * The catalog (plans, models, store product map) and the Spark estimator, for every module.
 * The data files are loaded and validated once, when the app boots: a bad file stops the boot
 * with one message listing every problem.
 */
@Global()
@Module({
  controllers: [CatalogController],
  providers: [
    {
      provide: Catalog,
      useFactory: (config: AppConfig): Catalog =>
        loadCatalog({ productMapPath: config.catalog.productMapPath }),
      inject: [APP_CONFIG],
    },
    SparkEstimator,
    CatalogService,
  ],
  exports: [Catalog, SparkEstimator],
})
export class CatalogModule {}
