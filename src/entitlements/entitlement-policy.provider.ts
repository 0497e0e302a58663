import type { Provider } from '@nestjs/common';
import { Catalog } from '../catalog/catalog';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { PLAN_IDS, type EntitlementPolicy, type PlanId, type PlanLimitsTable } from './domain';

/** Injection token of the `EntitlementPolicy` built from configuration. */
export const ENTITLEMENT_POLICY = Symbol('ENTITLEMENT_POLICY');
/** Injection token of the plans' concurrency caps, read from the catalog. */
export const PLAN_LIMITS = Symbol('PLAN_LIMITS');

export function policyFromConfig(config: AppConfig): EntitlementPolicy {
  return {
    acceptSandbox: config.entitlements.acceptSandbox,
    expiryLeewaySeconds: config.entitlements.expiryLeewaySeconds,
    pastDueCovered: config.entitlements.pastDueCovered,
  };
}

export function planLimitsFromCatalog(catalog: Catalog): PlanLimitsTable {
  const limits = {} as Record<PlanId, { image: number; video: number }>;
  for (const plan of PLAN_IDS) {
    const { image, video } = catalog.plan(plan).concurrency;
    if (image === null || video === null) {
      throw new Error(`plan ${plan} must cap image and video jobs`);
    }
    limits[plan] = { image, video };
  }
  return limits;
}

export const ENTITLEMENT_POLICY_PROVIDERS: Provider[] = [
  { provide: ENTITLEMENT_POLICY, useFactory: policyFromConfig, inject: [APP_CONFIG] },
  { provide: PLAN_LIMITS, useFactory: planLimitsFromCatalog, inject: [Catalog] },
];
