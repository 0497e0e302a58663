/**
 * Plain types of the catalog: plans, models, the store product map and job parameters.
 * Pure data (no framework); other modules (coverage decision, entitlements) import these.
 */
import type { BillingInterval, PlanId, Store } from '../entitlements/domain/subscription-snapshot';

export type { BillingInterval, PlanId, Store };

export type ModelClass = 'image' | 'video' | 'audio' | 'llm' | 'agent';
export const MODEL_CLASSES: readonly ModelClass[] = ['image', 'video', 'audio', 'llm', 'agent'];

export type Speed = 'fast' | 'relaxed';
export const SPEEDS: readonly Speed[] = ['fast', 'relaxed'];

/** How a job on the model is paid outside a subscription (seed 000, "Access" column). */
export type ModelAccess = 'standard' | 'premium_spark' | 'credit_card_premium_spark';
export const MODEL_ACCESS: readonly ModelAccess[] = [
  'standard',
  'premium_spark',
  'credit_card_premium_spark',
];

/**
 * The parameters of one job, as the gateway sends them (SPEC §8 job body without accountId/jobId).
 * Every field is optional: a missing one takes the model's default. Fields that mean nothing for
 * the model's class (steps for an LLM, quality for SDXL...) are ignored.
 */
export interface JobParameters {
  speed?: Speed;
  width?: number;
  height?: number;
  steps?: number;
  /** Outputs in one job (images; audio takes). */
  count?: number;
  durationSeconds?: number;
  frames?: number;
  fps?: number;
  /** Video resolution preset, e.g. `720p`. */
  resolution?: string;
  /** Reference (input) images. */
  references?: number;
  /** Video references: `true` for one, or how many. Switches Seedance to its video-input rates. */
  videoReference?: boolean | number;
  /** GPT Image 2: `low`, `medium`, `high` or `auto`. */
  quality?: string;
  inputTokens?: number;
  outputTokens?: number;
}

export type JobParameterName = keyof JobParameters;

/** The default job of a model: the parameters its headline price was measured at. */
export type JobDefaults = Readonly<Omit<JobParameters, 'speed'>>;

/** Open image models: a measured Spark value at the default job, scaled from it. */
export interface ImageBenchmarkFormula {
  kind: 'image_benchmark';
  /** Spark of the default job (default size and steps, one image, no references, fast). */
  defaultSpark: number;
  /** Extra work per reference image, as a fraction of the same job without references. */
  referenceCostFraction: number;
  maxReferences: number;
  minEdge: number;
  maxEdge: number;
  /** Width and height must be multiples of this (latent grid). */
  sizeMultiple: number;
  maxSteps: number;
  maxCount: number;
}

/** OpenAI GPT Image 2: OpenAI's image-token billing plus the external API margin. */
export interface OpenAiImageTokenFormula {
  kind: 'openai_image_tokens';
  /** Output tokens per axis step by quality (OpenAI's calculator). */
  qualityAxisFactors: Readonly<Record<'low' | 'medium' | 'high', number>>;
  /** `auto` lets the vendor pick: billed as this quality so the estimate is never short. */
  autoQualityBilledAs: 'low' | 'medium' | 'high';
  tokenAreaOffsetPixels: number;
  tokenAreaScaleDenominator: number;
  usdPerMillionTokens: Readonly<{
    imageOutput: number;
    imageInput: number;
    cachedImageInput: number;
    textInput: number;
  }>;
  /** Estimated input-image tokens per reference image. */
  referenceImageTokens: number;
  /** Text-input tokens budgeted per output when references are present. */
  referenceTextBufferTokens: number;
  /** External API margin on the vendor cost (0.3 = 30%). */
  margin: number;
  size: Readonly<{
    stepPx: number;
    minPixels: number;
    maxPixels: number;
    maxEdge: number;
    maxAspectRatio: number;
  }>;
  maxReferences: number;
  maxCount: number;
}

/** Open video models: a measured Spark value at the default clip, scaled from it. */
export interface VideoBenchmarkFormula {
  kind: 'video_benchmark';
  /** Spark of the default clip (default size, frames and steps, fast). */
  defaultSpark: number;
  /** Size presets accepted as `resolution`. */
  resolutions: Readonly<Record<string, Readonly<{ width: number; height: number }>>>;
  /** frames = round(durationSeconds × fps) + frameOffset (WAN adds the first frame: 81 = 5 × 16 + 1). */
  frameOffset: number;
  minEdge: number;
  maxEdge: number;
  sizeMultiple: number;
  maxSteps: number;
  maxFrames: number;
  maxFps: number;
  /** Start/end conditioning images; they do not change the render work materially. */
  maxReferences: number;
}

/** A vendor video resolution billed in tokens (BytePlus: width × height × fps × seconds / 1024). */
export interface VendorVideoTokenResolution {
  width: number;
  height: number;
  usdPerMillionTokens: number;
  /** Rate of the video-input (V2V) path. */
  videoInputUsdPerMillionTokens: number;
}

/** ByteDance/BytePlus Seedance: generated duration × resolution rate, video-input path, margin. */
export interface VendorVideoTokenFormula {
  kind: 'vendor_video_tokens';
  fps: number;
  pixelsPerToken: number;
  margin: number;
  minDurationSeconds: number;
  maxDurationSeconds: number;
  resolutions: Readonly<Record<string, Readonly<VendorVideoTokenResolution>>>;
  maxImageReferences: number;
  maxVideoReferences: number;
  maxTotalReferences: number;
}

/** A vendor video model billed per generated second by resolution. */
export interface VendorVideoPerSecondFormula {
  kind: 'vendor_video_per_second';
  margin: number;
  minDurationSeconds: number;
  maxDurationSeconds: number;
  resolutions: Readonly<Record<string, Readonly<{ usdPerSecond: number }>>>;
  maxImageReferences: number;
}

/** Music: Spark per generated second, plus per second per diffusion step. */
export interface AudioDurationStepsFormula {
  kind: 'audio_duration_steps';
  sparkPerSecond: number;
  sparkPerSecondPerStep: number;
  minDurationSeconds: number;
  maxDurationSeconds: number;
  maxSteps: number;
  maxCount: number;
}

/** LLM (and the agent's reasoning): token counts at per-million rates. */
export interface LlmTokenFormula {
  kind: 'llm_tokens';
  usdPerMillionInputTokens: number;
  usdPerMillionOutputTokens: number;
  maxInputTokens: number;
  maxOutputTokens: number;
}

export type CostFormula =
  | ImageBenchmarkFormula
  | OpenAiImageTokenFormula
  | VideoBenchmarkFormula
  | VendorVideoTokenFormula
  | VendorVideoPerSecondFormula
  | AudioDurationStepsFormula
  | LlmTokenFormula;

export type CostFormulaKind = CostFormula['kind'];

export interface ModelDefinition {
  /** Stable kebab-case id (the gateway's `modelId`). */
  readonly id: string;
  readonly name: string;
  readonly class: ModelClass;
  /** A third-party vendor API model: never covered by a subscription. */
  readonly vendor: boolean;
  /** The third party behind a vendor model; null for open models. */
  readonly vendorName: string | null;
  /** The relaxed network (0.5x) is offered for this model. */
  readonly relaxed: boolean;
  readonly access: ModelAccess;
  readonly defaults: JobDefaults;
  readonly formula: Readonly<CostFormula>;
  /** Where the price comes from: a seed figure, or a documented estimate where the seeds have none. */
  readonly pricing: Readonly<{ source: 'seed' | 'estimate'; note: string }>;
}

export interface PlanDefinition {
  readonly id: PlanId;
  readonly name: string;
  readonly prices: Readonly<
    Record<BillingInterval, Readonly<{ amountCents: number; currency: 'usd' }>>
  >;
  /** Jobs of a class that may run in parallel; null = no separate cap (fair use only). */
  readonly concurrency: Readonly<Record<ModelClass, number | null>>;
}

/** What a store product grants. */
export interface ProductGrant {
  plan: PlanId;
  interval: BillingInterval;
}

export interface StripeProductEntry extends ProductGrant {
  /** Stripe price `lookup_key`. */
  lookupKey: string;
}

export interface AppleProductEntry extends ProductGrant {
  productId: string;
}

export interface GoogleProductEntry extends ProductGrant {
  productId: string;
  basePlanId: string;
}

export interface ProductMap {
  stripe: readonly StripeProductEntry[];
  apple: readonly AppleProductEntry[];
  google: readonly GoogleProductEntry[];
}

export interface CatalogData {
  plans: readonly PlanDefinition[];
  models: readonly ModelDefinition[];
  productMap: ProductMap;
}
