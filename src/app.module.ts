import { DynamicModule, Module } from '@nestjs/common';
import { AccountRoutesModule } from './accounts/account-routes.module';
import { AccountsModule } from './accounts/accounts.module';
import { CatalogModule } from './catalog/catalog.module';
import { CommonModule } from './common/common.module';
import { CoverageModule } from './coverage/coverage.module';
import { LoggingModule } from './common/logging/logging.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { EntitlementsModule } from './entitlements/entitlements.module';
import { HealthModule } from './health/health.module';
import { InboxModule } from './inbox/inbox.module';
import { MetricsModule } from './metrics/metrics.module';
import { AppleModule } from './stores/apple/apple.module';
import { GoogleModule } from './stores/google/google.module';
import { StripeModule } from './stores/stripe/stripe.module';

/** Feature modules, one per concern (see README's architecture map). */
const FEATURE_MODULES = [
  HealthModule,
  CatalogModule,
  InboxModule,
  AccountsModule,
  EntitlementsModule,
  AccountRoutesModule,
  CoverageModule,
  AppleModule,
  StripeModule,
  GoogleModule,
];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        DatabaseModule.forRoot(config),
        CommonModule,
        MetricsModule,
        ...FEATURE_MODULES,
      ],
    };
  }
}
