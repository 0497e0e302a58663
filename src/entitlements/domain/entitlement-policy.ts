import type { PlanId } from './subscription-snapshot';

/**
 * Operator choices that change how stored subscription data turns into access.
 * Built from `AppConfig.entitlements`; pure code receives it as an argument.
 */
export interface EntitlementPolicy {
  /** Let sandbox / test-mode / license-tester purchases grant entitlement (`ACCEPT_SANDBOX`). */
  acceptSandbox: boolean;
  /**
   * Store delays absorbed after a period (or trial) end before the subscription counts as expired
   * with no renewal heard of (`EXPIRY_LEEWAY_SECONDS`).
   */
  expiryLeewaySeconds: number;
  /**
   * Seed 001 §8: covered jobs are paused while a renewal payment is retried. When an operator turns
   * this on, a past-due subscription stays covered until its grace period (or, when the store gives
   * none, its current period) ends, plus the leeway.
   */
  pastDueCovered: boolean;
}

/** The documented defaults (same as the configuration defaults). */
export const DEFAULT_ENTITLEMENT_POLICY: Readonly<EntitlementPolicy> = Object.freeze({
  acceptSandbox: false,
  expiryLeewaySeconds: 3600,
  pastDueCovered: false,
});

/** Active-job concurrency caps of one plan (SPEC §2). */
export interface PlanConcurrencyLimits {
  image: number;
  video: number;
}

/** Concurrency caps per plan, normally read from the plan catalog. */
export type PlanLimitsTable = Readonly<Record<PlanId, PlanConcurrencyLimits>>;

/** No access: the limits reported when nothing is covered. */
export const NO_LIMITS: Readonly<PlanConcurrencyLimits> = Object.freeze({ image: 0, video: 0 });

/**
 * Plan order used to pick the best plan and to name upgrades and downgrades. Both plans cover the
 * same models; Unlimited Pro only has more throughput.
 */
export function planRank(plan: PlanId | null): number {
  if (plan === null) return -1;
  switch (plan) {
    case 'unlimited':
      return 0;
    case 'unlimited_pro':
      return 1;
    default: {
      const unknown: never = plan;
      throw new Error(`unmapped plan ${String(unknown)}`);
    }
  }
}

/** Leeway in milliseconds. */
export function leewayMs(policy: EntitlementPolicy): number {
  return Math.max(0, policy.expiryLeewaySeconds) * 1000;
}
