/**
 * Spark estimates (SPEC §7, seed 000). Pure: a model definition and job parameters in, Spark and
 * USD render value out. 1 Spark = $0.005 (the baseline SDXL 1024, 20-step fast render).
 *
 * Formulas, by the model's `formula.kind`:
 *
 * - `image_benchmark` (open image models): the catalog holds the measured Spark of the model's
 *   default job. Other jobs scale linearly from it: in steps (each step is one pass of the
 *   denoiser), in pixels (width × height over the default's; the seed's own tiers follow this:
 *   SDXL 896 costs 0.76 of SDXL 1024 for 0.77 of the pixels), in count (outputs are rendered one
 *   after another), and by `1 + referenceCostFraction × references` for edit/context models whose
 *   reference images join the denoising sequence ("longer benchmark timings" in the seed).
 * - `openai_image_tokens` (GPT Image 2): OpenAI's billing. Output tokens per image from size and
 *   quality (OpenAI's calculator); 6,240 image-input tokens per reference; with references, a
 *   3,200 text-token buffer per output; the first output pays references at the image-input rate,
 *   later outputs at the cached image-input rate; then the 30% external API margin.
 * - `video_benchmark` (LTX, WAN): measured Spark of the default clip, linear in frames, pixels and
 *   steps. Frames come from `frames`, or from `durationSeconds × fps` (+ the model's frame offset).
 * - `vendor_video_tokens` (Seedance): BytePlus tokens = width × height × 24 fps × seconds / 1024
 *   of the chosen resolution, at that resolution's rate (the video-input rate when a video
 *   reference is present: V2V is charged on the generated duration only), plus the margin.
 * - `vendor_video_per_second` (HappyHorse): vendor USD per generated second by resolution, plus
 *   the margin.
 * - `audio_duration_steps` (Ace-Step): seconds × (sparkPerSecond + sparkPerSecondPerStep × steps).
 * - `llm_tokens` (LLMs and the agent's reasoning): tokens at the per-million rates, no margin.
 *
 * Relaxed jobs cost 0.5x where the model offers relaxed; asking relaxed elsewhere is an error.
 */
import type {
  AudioDurationStepsFormula,
  ImageBenchmarkFormula,
  JobParameterName,
  JobParameters,
  LlmTokenFormula,
  ModelDefinition,
  OpenAiImageTokenFormula,
  VendorVideoPerSecondFormula,
  VendorVideoTokenFormula,
  VideoBenchmarkFormula,
} from './catalog.types';

/** Render value of one Spark (seed 000: "Render value $0.005"). */
export const USD_PER_SPARK = 0.005;

/** Relaxed network jobs use a 0.5x Spark multiplier compared with fast (seed 000). */
export const RELAXED_MULTIPLIER = 0.5;

export interface SparkEstimate {
  /** Spark, to 4 decimals (the seed prints 1 or 2). */
  spark: number;
  /** USD render value (spark × $0.005), to 6 decimals (the seed prints 4). */
  usd: number;
}

/** A job parameter the model cannot take; `parameter` names it (the HTTP layer answers 400). */
export class JobParameterError extends Error {
  constructor(
    readonly parameter: JobParameterName,
    message: string,
  ) {
    super(message);
    this.name = 'JobParameterError';
  }
}

/**
 * Estimates the Spark of one job on `model`. Missing parameters take the model's defaults, so
 * `estimateSpark(model)` is the model's default-job price. Throws `JobParameterError` naming the
 * first bad parameter.
 */
export function estimateSpark(model: ModelDefinition, params: JobParameters = {}): SparkEstimate {
  const speed = params.speed ?? 'fast';
  if (speed !== 'fast' && speed !== 'relaxed') {
    throw new JobParameterError('speed', 'speed must be fast or relaxed.');
  }
  if (speed === 'relaxed' && !model.relaxed) {
    throw new JobParameterError(
      'speed',
      `speed relaxed is not offered for ${model.id}: it runs fast only.`,
    );
  }

  const job = new JobReader(model, params);
  const formula = model.formula;
  let spark: number;
  switch (formula.kind) {
    case 'image_benchmark':
      spark = imageBenchmark(job, formula);
      break;
    case 'openai_image_tokens':
      spark = usdToSpark(openAiImageUsd(job, formula));
      break;
    case 'video_benchmark':
      spark = videoBenchmark(job, formula);
      break;
    case 'vendor_video_tokens':
      spark = usdToSpark(vendorVideoTokensUsd(job, formula));
      break;
    case 'vendor_video_per_second':
      spark = usdToSpark(vendorVideoPerSecondUsd(job, formula));
      break;
    case 'audio_duration_steps':
      spark = audio(job, formula);
      break;
    case 'llm_tokens':
      spark = usdToSpark(llmUsd(job, formula));
      break;
    default:
      return assertNever(formula);
  }
  if (speed === 'relaxed') spark *= RELAXED_MULTIPLIER;
  return { spark: roundTo(spark, 4), usd: roundTo(spark * USD_PER_SPARK, 6) };
}

/** Rounds half away from zero at `decimals`, robust to binary noise (0.00065 → 0.0007). */
export function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  const scaled = value * scale;
  const nudged = scaled + Math.sign(scaled) * Math.abs(scaled) * Number.EPSILON * 4;
  return Math.round(nudged) / scale;
}

function usdToSpark(usd: number): number {
  return usd / USD_PER_SPARK;
}

function assertNever(value: never): never {
  throw new Error(`Unhandled cost formula: ${JSON.stringify(value)}`);
}

/** Reads parameters with the model's defaults and names the parameter in every error. */
class JobReader {
  constructor(
    readonly model: ModelDefinition,
    private readonly params: JobParameters,
  ) {}

  given(name: JobParameterName): boolean {
    return this.params[name] !== undefined && this.params[name] !== null;
  }

  /** The model's default for `name`; its absence is a catalog defect, not a client error. */
  default(name: Exclude<JobParameterName, 'speed'>): number | string | boolean {
    const value = this.model.defaults[name];
    if (value === undefined) {
      throw new Error(`Catalog model ${this.model.id} has no default ${name}.`);
    }
    return value;
  }

  int(
    name: Exclude<JobParameterName, 'speed' | 'resolution' | 'quality' | 'videoReference'>,
    min: number,
    max: number,
    fallback?: number,
  ): number {
    const raw = this.given(name) ? this.params[name] : (fallback ?? this.default(name));
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
      throw new JobParameterError(
        name,
        `${name} must be a whole number from ${min} to ${max} for ${this.model.id}.`,
      );
    }
    return raw;
  }

  /** Outputs in the job: the model's default count, else 1. */
  count(max: number): number {
    return this.int('count', 1, max, this.model.defaults.count ?? 1);
  }

  raw(name: JobParameterName): unknown {
    return this.params[name];
  }

  /** A positive number of seconds (the caller bounds it by what it implies). */
  positive(name: 'durationSeconds'): number {
    const raw = this.given(name) ? this.params[name] : this.default(name);
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0) {
      throw new JobParameterError(name, `${name} must be a number of seconds above 0.`);
    }
    return raw;
  }

  number(name: 'durationSeconds', min: number, max: number): number {
    const raw = this.given(name) ? this.params[name] : this.default(name);
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < min || raw > max) {
      throw new JobParameterError(
        name,
        `${name} must be from ${min} to ${max} for ${this.model.id}.`,
      );
    }
    return raw;
  }

  /** A string parameter that must be one of `allowed`. */
  oneOf(name: 'resolution' | 'quality', allowed: readonly string[]): string {
    const raw = this.given(name) ? this.params[name] : this.default(name);
    if (typeof raw !== 'string' || !allowed.includes(raw)) {
      throw new JobParameterError(
        name,
        `${name} must be one of ${allowed.join(', ')} for ${this.model.id}${typeof raw === 'string' ? ` (got ${JSON.stringify(raw.slice(0, 40))})` : ''}.`,
      );
    }
    return raw;
  }

  /** Image references, 0 when not given; refused beyond `max` (a model without references: 0). */
  references(max: number): number {
    if (!this.given('references')) return 0;
    const raw = this.params.references;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) {
      throw new JobParameterError(
        'references',
        'references must be a whole number of images, 0 or more.',
      );
    }
    if (raw > max) {
      throw new JobParameterError(
        'references',
        max === 0
          ? `references must be 0 for ${this.model.id}: it takes no reference images.`
          : `references must be at most ${max} for ${this.model.id} (got ${raw}).`,
      );
    }
    return raw;
  }

  /** Video references as a count (`true` = 1); refused beyond `max`. */
  videoReferences(max: number): number {
    if (!this.given('videoReference')) return 0;
    const raw = this.params.videoReference;
    const count = raw === true ? 1 : raw === false ? 0 : raw;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new JobParameterError(
        'videoReference',
        'videoReference must be true, false or a whole number of videos.',
      );
    }
    if (count > max) {
      throw new JobParameterError(
        'videoReference',
        max === 0
          ? `videoReference must be false for ${this.model.id}: it takes no video reference.`
          : `videoReference must be at most ${max} videos for ${this.model.id} (got ${count}).`,
      );
    }
    return count;
  }
}

function defaultNumber(job: JobReader, name: 'width' | 'height' | 'steps' | 'frames'): number {
  const value = job.default(name);
  if (typeof value !== 'number')
    throw new Error(`Catalog model ${job.model.id}: default ${name} is not a number.`);
  return value;
}

/** Width and height on the model's grid (latent or patch size). */
function onGrid(job: JobReader, width: number, height: number, multiple: number): void {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (value % multiple !== 0) {
      throw new JobParameterError(
        name,
        `${name} must be a multiple of ${multiple} px for ${job.model.id} (got ${value}).`,
      );
    }
  }
}

function imageBenchmark(job: JobReader, f: ImageBenchmarkFormula): number {
  const width = job.int('width', f.minEdge, f.maxEdge);
  const height = job.int('height', f.minEdge, f.maxEdge);
  onGrid(job, width, height, f.sizeMultiple);
  const steps = job.int('steps', 1, f.maxSteps);
  const count = job.count(f.maxCount);
  const references = job.references(f.maxReferences);
  job.videoReferences(0);

  const defaultPixels = defaultNumber(job, 'width') * defaultNumber(job, 'height');
  return (
    f.defaultSpark *
    (steps / defaultNumber(job, 'steps')) *
    ((width * height) / defaultPixels) *
    (1 + f.referenceCostFraction * references) *
    count
  );
}

/**
 * OpenAI's output-token count for one gpt-image-2 image: the short axis gets
 * round(q × short / long) steps, and tokens = ceil(q × shortSteps × (offset + pixels) / scale).
 * 1024x1024: low 196, medium 1,756, high 7,024; 1536x1024 high: 5,488.
 */
export function openAiImageOutputTokens(
  f: Pick<
    OpenAiImageTokenFormula,
    'qualityAxisFactors' | 'tokenAreaOffsetPixels' | 'tokenAreaScaleDenominator'
  >,
  quality: 'low' | 'medium' | 'high',
  width: number,
  height: number,
): number {
  const q = f.qualityAxisFactors[quality];
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const shortAxisSteps = Math.floor((2 * q * short + long) / (2 * long));
  const numerator = q * shortAxisSteps * (f.tokenAreaOffsetPixels + width * height);
  return Math.floor((numerator + f.tokenAreaScaleDenominator - 1) / f.tokenAreaScaleDenominator);
}

function openAiImageUsd(job: JobReader, f: OpenAiImageTokenFormula): number {
  const { size } = f;
  const width = job.int('width', size.stepPx, size.maxEdge);
  const height = job.int('height', size.stepPx, size.maxEdge);
  onGrid(job, width, height, size.stepPx);
  const pixels = width * height;
  if (pixels < size.minPixels || pixels > size.maxPixels) {
    throw new JobParameterError(
      'width',
      `width × height must be from ${size.minPixels.toLocaleString('en-US')} to ${size.maxPixels.toLocaleString('en-US')} pixels for ${job.model.id} (got ${pixels.toLocaleString('en-US')}).`,
    );
  }
  if (Math.max(width, height) > size.maxAspectRatio * Math.min(width, height)) {
    throw new JobParameterError(
      width > height ? 'width' : 'height',
      `width and height must stay within a ${size.maxAspectRatio}:1 aspect ratio for ${job.model.id} (got ${width}x${height}).`,
    );
  }
  const quality = job.oneOf('quality', ['low', 'medium', 'high', 'auto']);
  const billedQuality =
    quality === 'auto' ? f.autoQualityBilledAs : (quality as 'low' | 'medium' | 'high');
  const references = job.references(f.maxReferences);
  job.videoReferences(0);
  const count = job.count(f.maxCount);

  const rates = f.usdPerMillionTokens;
  const outputTokens = openAiImageOutputTokens(f, billedQuality, width, height);
  let perMillion = count * outputTokens * rates.imageOutput;
  if (references > 0) {
    const referenceTokens = references * f.referenceImageTokens;
    // The first output reads the references uncached; the vendor caches them for the others.
    perMillion += referenceTokens * rates.imageInput;
    perMillion += (count - 1) * referenceTokens * rates.cachedImageInput;
    perMillion += count * f.referenceTextBufferTokens * rates.textInput;
  }
  return (perMillion / 1_000_000) * (1 + f.margin);
}

function videoBenchmark(job: JobReader, f: VideoBenchmarkFormula): number {
  const resolutions = Object.keys(f.resolutions);
  let width: number;
  let height: number;
  const preset = job.given('resolution')
    ? f.resolutions[job.oneOf('resolution', resolutions)]
    : undefined;
  if (job.given('width') || job.given('height') || preset === undefined) {
    // Explicit sizes win over a preset; a missing one falls back to the preset, then the default.
    width = job.int('width', f.minEdge, f.maxEdge, preset?.width);
    height = job.int('height', f.minEdge, f.maxEdge, preset?.height);
  } else {
    width = preset.width;
    height = preset.height;
  }
  onGrid(job, width, height, f.sizeMultiple);
  const steps = job.int('steps', 1, f.maxSteps);
  const fps = job.int('fps', 1, f.maxFps);
  let frames: number;
  if (job.given('durationSeconds')) {
    const seconds = job.positive('durationSeconds');
    const derived = Math.round(seconds * fps) + f.frameOffset;
    if (derived < 1 || derived > f.maxFrames) {
      throw new JobParameterError(
        'durationSeconds',
        `durationSeconds gives ${derived} frames at ${fps} fps; ${job.model.id} renders at most ${f.maxFrames}.`,
      );
    }
    if (job.given('frames') && job.int('frames', 1, f.maxFrames) !== derived) {
      throw new JobParameterError(
        'frames',
        `frames disagrees with durationSeconds × fps for ${job.model.id} (expected ${derived}).`,
      );
    }
    frames = derived;
  } else {
    frames = job.int('frames', 1, f.maxFrames);
  }
  job.count(1);
  job.references(f.maxReferences);
  job.videoReferences(0);

  return (
    f.defaultSpark *
    (frames / defaultNumber(job, 'frames')) *
    ((width * height) / (defaultNumber(job, 'width') * defaultNumber(job, 'height'))) *
    (steps / defaultNumber(job, 'steps'))
  );
}

function vendorVideoTokensUsd(job: JobReader, f: VendorVideoTokenFormula): number {
  const resolution = f.resolutions[job.oneOf('resolution', Object.keys(f.resolutions))];
  const seconds = job.int('durationSeconds', f.minDurationSeconds, f.maxDurationSeconds);
  if (job.given('fps') && job.raw('fps') !== f.fps) {
    throw new JobParameterError(
      'fps',
      `fps must be ${f.fps}: ${job.model.id} renders at a fixed ${f.fps} fps.`,
    );
  }
  const images = job.references(f.maxImageReferences);
  const videos = job.videoReferences(f.maxVideoReferences);
  if (images + videos > f.maxTotalReferences) {
    throw new JobParameterError(
      'references',
      `references plus videoReference must be at most ${f.maxTotalReferences} reference assets in total for ${job.model.id} (got ${images + videos}).`,
    );
  }
  job.count(1);

  const tokens = (resolution.width * resolution.height * f.fps * seconds) / f.pixelsPerToken;
  const rate =
    videos > 0 ? resolution.videoInputUsdPerMillionTokens : resolution.usdPerMillionTokens;
  return ((tokens * rate) / 1_000_000) * (1 + f.margin);
}

function vendorVideoPerSecondUsd(job: JobReader, f: VendorVideoPerSecondFormula): number {
  const resolution = f.resolutions[job.oneOf('resolution', Object.keys(f.resolutions))];
  const seconds = job.int('durationSeconds', f.minDurationSeconds, f.maxDurationSeconds);
  job.references(f.maxImageReferences);
  job.videoReferences(0);
  job.count(1);
  return resolution.usdPerSecond * seconds * (1 + f.margin);
}

function audio(job: JobReader, f: AudioDurationStepsFormula): number {
  const seconds = job.number('durationSeconds', f.minDurationSeconds, f.maxDurationSeconds);
  const steps = job.int('steps', 1, f.maxSteps);
  const count = job.count(f.maxCount);
  job.references(0);
  job.videoReferences(0);
  return seconds * (f.sparkPerSecond + f.sparkPerSecondPerStep * steps) * count;
}

function llmUsd(job: JobReader, f: LlmTokenFormula): number {
  const input = job.int('inputTokens', 0, f.maxInputTokens);
  const output = job.int('outputTokens', 0, f.maxOutputTokens);
  return (input * f.usdPerMillionInputTokens + output * f.usdPerMillionOutputTokens) / 1_000_000;
}
