import type { PlanId } from '../../entitlements/domain';

/** Daily fair-use thresholds of one plan, in render-Spark of completed covered jobs per UTC day. */
export interface FairUseThresholds {
  /** At or past this, covered jobs get `subscription_throttled` priority. */
  throttleAtSpark: number;
  /** At or past this, the plan's effective concurrency is halved (at least 1). */
  reduceAtSpark: number;
}

/** Evaluation limits of the free trial (seed 001 §7). */
export interface TrialLimits {
  /** Completed covered jobs of the UTC day, plus the running ones, must stay below this. */
  dailyJobCap: number;
  /** Render-Spark of completed trial jobs, plus running ones, plus this job, must not exceed this. */
  renderSparkAllowance: number;
  maxImageEdge: number;
  maxImagePixels: number;
  maxVideoEdge: number;
  maxVideoSeconds: number;
  /** Jobs through `channel: "api"` during a trial. */
  apiAllowed: boolean;
}

/** Operator choices the decision reads (built from `AppConfig.coverage`). */
export interface CoveragePolicy {
  fairUse: Readonly<Record<PlanId, FairUseThresholds>>;
  trial: TrialLimits;
}

/** The documented defaults (the configuration defaults, see `readCoverageConfig`). */
export const DEFAULT_COVERAGE_POLICY: Readonly<CoveragePolicy> = Object.freeze({
  fairUse: {
    unlimited: { throttleAtSpark: 2000, reduceAtSpark: 4000 },
    unlimited_pro: { throttleAtSpark: 6000, reduceAtSpark: 12000 },
  },
  trial: {
    dailyJobCap: 100,
    renderSparkAllowance: 300,
    maxImageEdge: 1536,
    maxImagePixels: 1_572_864,
    maxVideoEdge: 1280,
    maxVideoSeconds: 5,
    apiAllowed: false,
  },
});

const DAY_MS = 86_400_000;

/** 00:00 UTC of the day of `now`. */
export function utcDayStart(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

/** The next 00:00 UTC after `now`: when the daily fair-use counters reset. */
export function nextUtcMidnight(now: Date): Date {
  return new Date(utcDayStart(now).getTime() + DAY_MS);
}

/** The UTC day of `now` as `YYYY-MM-DD` (the key of the daily usage row). */
export function utcDay(now: Date): string {
  return utcDayStart(now).toISOString().slice(0, 10);
}
