import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { CoverageGuard } from './coverage.guard';
import { CoverageRoutes } from './coverage.routes';
import { CoverageService } from './coverage.service';
import { EntitlementCache } from './entitlement-cache';
import { EntitlementChangeListener } from './entitlement-change.listener';
import { EntitlementSourceProvider } from './entitlement-source.provider';
import { JobAdmissionService } from './job-admission.service';
import { JobLeaseService } from './job-lease.service';
import { CoverageUsageReader } from './coverage-usage.reader';
import { CoverageCountersCache } from './coverage-counters-cache';
import { CoverageCountersSourceProvider } from './coverage-counters-source.provider';
import { CoverageDatabase } from './coverage-database';
import { CountersChangeAnnouncer } from './counters-change.announcer';
import { CoverageCheckReader } from './coverage-check-reader';
import { CoverageRefresher } from './coverage-refresher';

/**
 * Coverage decisions and job admission (SPEC §6): `POST /v1/coverage`, `POST /v1/jobs` and the
 * lease routes, the per-instance entitlement and counters caches and their invalidation listener,
 * and the usage reader the dashboard status shows. The routes are served by Fastify directly
 * (`CoverageRoutes`), described in the OpenAPI document by `describeCoverageRoutes`.
 */
@Module({
  imports: [AccountsModule, EntitlementsModule],
  providers: [
    CoverageDatabase,
    EntitlementSourceProvider,
    EntitlementCache,
    CoverageCountersSourceProvider,
    CoverageCountersCache,
    CountersChangeAnnouncer,
    EntitlementChangeListener,
    CoverageGuard,
    CoverageCheckReader,
    CoverageRefresher,
    CoverageService,
    JobAdmissionService,
    JobLeaseService,
    CoverageRoutes,
    CoverageUsageReader,
  ],
  exports: [CoverageUsageReader, EntitlementCache],
})
export class CoverageModule {}
