/**
 * The coverage decision (SPEC §6): one pure function over the account's entitlement at `now`, the
 * model, the job parameters, the channel, today's usage and the running jobs. No framework, no
 * database, no clock of its own.
 */
import type { Catalog } from '../../catalog/catalog';
import type {
  JobParameters,
  ModelClass,
  ModelDefinition,
  VideoBenchmarkFormula,
} from '../../catalog/catalog.types';
import { estimateSpark } from '../../catalog/spark-estimator';
import type {
  AccountEntitlement,
  AccountEntitlementState,
  NotCoveredReason,
  PlanId,
} from '../../entitlements/domain';
import { nextUtcMidnight, type CoveragePolicy } from './coverage-policy';

export type Channel = 'app' | 'api';
export const CHANNELS: readonly Channel[] = ['app', 'api'];

/** Every answer, in order of precedence: the first that applies is the answer. */
export type CoverageReason =
  | 'unknown_model'
  | 'vendor_model_excluded'
  | NotCoveredReason
  | 'worker_targeting_not_covered'
  | 'trial_limit'
  | 'concurrency_limit'
  | 'covered';

export const COVERAGE_REASONS: readonly CoverageReason[] = [
  'unknown_model',
  'vendor_model_excluded',
  'no_subscription',
  'expired',
  'revoked',
  'past_due',
  'paused',
  'incomplete',
  'suspended',
  'worker_targeting_not_covered',
  'trial_limit',
  'concurrency_limit',
  'covered',
];

export type JobPriority = 'subscription' | 'subscription_throttled';

/** Which trial limit refused the job. */
export type TrialLimitKind =
  | 'api_channel'
  | 'image_size'
  | 'video_size'
  | 'video_duration'
  | 'daily_jobs'
  | 'render_allowance';

/** How to run a job the subscription does not cover. */
export interface CoverageFallback {
  payWith: 'premium_spark';
  estimatedSpark: number;
  /** Vendor models need Premium Spark with eligible credit-card coverage. */
  creditCardCoverageRequired: boolean;
}

/** The account's completed covered usage (only completed jobs count, SPEC §6). */
export interface UsageSnapshot {
  /** Render-Spark of covered jobs completed this UTC day. */
  renderSparkToday: number;
  /** Covered trial jobs completed this UTC day. */
  trialJobsToday: number;
  /** Render-Spark of covered trial jobs completed over the whole trial. */
  trialRenderSparkTotal: number;
}

/** Covered jobs holding a live lease now. */
export interface RunningJobs {
  byClass: Readonly<Partial<Record<ModelClass, number>>>;
  /** Their render-Spark estimate (reserved against the trial allowance). */
  renderSpark: number;
}

export interface CoverageInput {
  /** The account's entitlement derived at `now`. */
  entitlement: AccountEntitlement;
  /** The catalog model, or null when the id is unknown. */
  model: ModelDefinition | null;
  params: JobParameters;
  channel: Channel;
  /** Subscription jobs cannot target workers (seed 001 §10). */
  targetWorkerId: string | null;
  usage: UsageSnapshot;
  running: RunningJobs;
  catalog: Pick<Catalog, 'isCovered' | 'concurrencyLimit'>;
  policy: CoveragePolicy;
  now: Date;
}

export interface CoverageDecision {
  /** Covered by the subscription (also when it must wait for a slot). */
  covered: boolean;
  /** Covered and a slot is free now: the job may start. */
  admit: boolean;
  reason: CoverageReason;
  plan: PlanId | null;
  state: AccountEntitlementState;
  jobClass: ModelClass | null;
  /** Queue priority when covered; null otherwise. */
  priority: JobPriority | null;
  /** The effective cap of the job's class (null: no separate cap) and its running jobs. */
  concurrency: { limit: number | null; running: number };
  fairUse: {
    renderSparkToday: number;
    throttleAt: number | null;
    reducedAt: number | null;
    resetsAt: Date;
  };
  /** Set when not covered (except for an unknown model, which has no price). */
  fallback: CoverageFallback | null;
  /** Which trial limit applied, when the reason is `trial_limit`. */
  trialLimit: TrialLimitKind | null;
  /** Spark of this job (null for an unknown model): the fallback price and fair-use weight. */
  estimatedSpark: number | null;
  /** Covered through a free trial (its jobs count against the trial allowances). */
  trial: boolean;
}

/**
 * Decides whether a job is covered, and whether it may start now. Reasons, first match wins:
 *
 * | # | reason | covered |
 * |---|---|---|
 * | 1 | `unknown_model` | no |
 * | 2 | `vendor_model_excluded` | no: Premium Spark with credit-card coverage |
 * | 3 | `no_subscription`, `expired`, `revoked`, `past_due`, `paused`, `incomplete`, `suspended` | no |
 * | 4 | `worker_targeting_not_covered` | no |
 * | 5 | `trial_limit` (API channel, size, daily jobs, render allowance) | no |
 * | 6 | `concurrency_limit` | yes, later |
 * | 7 | `covered` | yes |
 *
 * Fair use: at or past the plan's throttle threshold (render-Spark completed this UTC day) the
 * priority is `subscription_throttled`; at or past the reduce threshold the class's concurrency
 * cap is halved, never below 1. Classes without a cap (audio, LLM, agent) are fair-use only.
 *
 * @throws JobParameterError (from the estimator) when the parameters do not fit the model.
 */
export function decideCoverage(input: CoverageInput): CoverageDecision {
  const { entitlement, model, usage, policy, now } = input;
  const plan = entitlement.plan;
  const thresholds = plan === null ? null : policy.fairUse[plan];
  const fairUse = {
    renderSparkToday: usage.renderSparkToday,
    throttleAt: thresholds?.throttleAtSpark ?? null,
    reducedAt: thresholds?.reduceAtSpark ?? null,
    resetsAt: nextUtcMidnight(now),
  };
  const answer = (
    reason: CoverageReason,
    covered: boolean,
    admit: boolean,
    jobClass: ModelClass | null,
    priority: JobPriority | null,
    concurrency: CoverageDecision['concurrency'],
    fallback: CoverageFallback | null,
    trialLimit: TrialLimitKind | null,
    estimatedSpark: number | null,
  ): CoverageDecision => ({
    covered,
    admit,
    reason,
    plan,
    state: entitlement.state,
    jobClass,
    priority,
    concurrency,
    fairUse,
    fallback,
    trialLimit,
    estimatedSpark,
    trial: entitlement.isTrial,
  });

  if (model === null) {
    return answer(
      'unknown_model',
      false,
      false,
      null,
      null,
      { limit: null, running: 0 },
      null,
      null,
      null,
    );
  }

  const estimatedSpark = estimateSpark(model, input.params).spark;
  const jobClass = model.class;
  const running = input.running.byClass[jobClass] ?? 0;
  const reduced = thresholds !== null && usage.renderSparkToday >= thresholds.reduceAtSpark;
  const planLimit = plan === null ? null : input.catalog.concurrencyLimit(plan, jobClass);
  const limit =
    planLimit === null ? null : reduced ? Math.max(1, Math.floor(planLimit / 2)) : planLimit;
  const concurrency = { limit, running };

  const notCovered = (
    reason: CoverageReason,
    extra: { creditCard?: boolean; trialLimit?: TrialLimitKind } = {},
  ): CoverageDecision =>
    answer(
      reason,
      false,
      false,
      jobClass,
      null,
      concurrency,
      {
        payWith: 'premium_spark',
        estimatedSpark,
        creditCardCoverageRequired: extra.creditCard ?? false,
      },
      extra.trialLimit ?? null,
      estimatedSpark,
    );

  if (!input.catalog.isCovered(model)) {
    return notCovered('vendor_model_excluded', { creditCard: true });
  }
  if (!entitlement.covered || plan === null) {
    return notCovered(entitlement.reason ?? 'no_subscription');
  }
  if (input.targetWorkerId !== null && input.targetWorkerId !== '') {
    return notCovered('worker_targeting_not_covered');
  }
  if (entitlement.isTrial) {
    const trialLimit = trialLimitFor(input, model, estimatedSpark);
    if (trialLimit !== null) return notCovered('trial_limit', { trialLimit });
  }

  const priority: JobPriority =
    thresholds !== null && usage.renderSparkToday >= thresholds.throttleAtSpark
      ? 'subscription_throttled'
      : 'subscription';
  const full = limit !== null && running >= limit;
  return answer(
    full ? 'concurrency_limit' : 'covered',
    true,
    !full,
    jobClass,
    priority,
    concurrency,
    null,
    null,
    estimatedSpark,
  );
}

/** The first trial limit the job breaks, or null. */
function trialLimitFor(
  input: CoverageInput,
  model: ModelDefinition,
  estimatedSpark: number,
): TrialLimitKind | null {
  const limits = input.policy.trial;
  if (input.channel === 'api' && !limits.apiAllowed) return 'api_channel';
  if (model.class === 'image') {
    const { width, height } = imageSize(model, input.params);
    if (Math.max(width, height) > limits.maxImageEdge || width * height > limits.maxImagePixels) {
      return 'image_size';
    }
  }
  if (model.class === 'video' && model.formula.kind === 'video_benchmark') {
    const clip = videoClip(model, model.formula, input.params);
    if (Math.max(clip.width, clip.height) > limits.maxVideoEdge) return 'video_size';
    if (clip.seconds > limits.maxVideoSeconds) return 'video_duration';
  }
  const runningJobs = Object.values(input.running.byClass).reduce((sum, n) => sum + (n ?? 0), 0);
  if (input.usage.trialJobsToday + runningJobs >= limits.dailyJobCap) return 'daily_jobs';
  const spent = input.usage.trialRenderSparkTotal + input.running.renderSpark;
  if (spent + estimatedSpark > limits.renderSparkAllowance) return 'render_allowance';
  return null;
}

function numberOr(value: unknown, fallback: unknown): number {
  if (typeof value === 'number') return value;
  return typeof fallback === 'number' ? fallback : 0;
}

/** The image size the job renders (its own, else the model's default). */
function imageSize(
  model: ModelDefinition,
  params: JobParameters,
): { width: number; height: number } {
  return {
    width: numberOr(params.width, model.defaults.width),
    height: numberOr(params.height, model.defaults.height),
  };
}

/** Size and length of an open-model clip, read the way the estimator reads them. */
function videoClip(
  model: ModelDefinition,
  formula: VideoBenchmarkFormula,
  params: JobParameters,
): { width: number; height: number; seconds: number } {
  const preset =
    params.resolution !== undefined ? formula.resolutions[params.resolution] : undefined;
  const width = numberOr(params.width, preset?.width ?? model.defaults.width);
  const height = numberOr(params.height, preset?.height ?? model.defaults.height);
  const fps = numberOr(params.fps, model.defaults.fps);
  const seconds =
    params.durationSeconds !== undefined
      ? params.durationSeconds
      : (numberOr(params.frames, model.defaults.frames) - formula.frameOffset) / Math.max(1, fps);
  return { width, height, seconds };
}
