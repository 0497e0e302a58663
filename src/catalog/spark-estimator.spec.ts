/**
 * Spark estimator against seed 000, figure by figure.
 *
 * This spec reproduces all 78 Spark figures of seed 000 at the precision printed there (USD column
 * too where one is printed):
 *   4 headline examples ("Model costs"), 18 rows of the image models table, 18 figures of the
 *   complete tier table (each end of a range is one figure), 10 rows of the 5-second video table,
 *   6 GPT Image 2 examples + their 4 output-token counts, 4 audio and LLM rows, 9 FAQ figures, and
 *   the 5 "Up to N baseline SDXL jobs" pack figures.
 * Then: scaling of non-default parameters, relaxed, and every validation error.
 */
import { loadCatalog } from './catalog.loader';
import type {
  JobParameterName,
  JobParameters,
  ModelDefinition,
  OpenAiImageTokenFormula,
} from './catalog.types';
import {
  estimateSpark,
  JobParameterError,
  openAiImageOutputTokens,
  roundTo,
  USD_PER_SPARK,
} from './spark-estimator';

const catalog = loadCatalog();

function model(id: string): ModelDefinition {
  const found = catalog.getModel(id);
  if (found === undefined) throw new Error(`test setup: no model ${id}`);
  return found;
}

/** Formats like the seed: as many decimals as the printed figure has. */
function printed(value: number, like: string): string {
  const decimals = like.includes('.') ? like.length - like.indexOf('.') - 1 : 0;
  return roundTo(value, decimals).toFixed(decimals);
}

interface SeedFigure {
  figure: string;
  modelId: string;
  params: JobParameters;
  spark: string;
  usd?: string;
}

const headline: SeedFigure[] = [
  {
    figure: 'Baseline image: SDXL 1024, 20 steps',
    modelId: 'sdxl-1024',
    params: {},
    spark: '1.00',
  },
  {
    figure: 'Fast standard image: Z-Image Turbo 1024px, 4 steps',
    modelId: 'z-image-turbo',
    params: {},
    spark: '0.80',
  },
  {
    figure: 'Native video starter: LTX-2.3 Distilled 5 s 720p',
    modelId: 'ltx-2-3-22b-distilled',
    params: { durationSeconds: 5, resolution: '720p' },
    spark: '13.8',
  },
  {
    figure: 'Premium external image: GPT Image 2 medium 1024x1024, no refs',
    modelId: 'gpt-image-2',
    params: { width: 1024, height: 1024, quality: 'medium', references: 0 },
    spark: '13.70',
  },
];

const imageTable: SeedFigure[] = [
  {
    figure: 'Stable Diffusion 1.x/2.x 512px 20 steps',
    modelId: 'sd-1-x-512',
    params: { width: 512, height: 512, steps: 20 },
    spark: '0.13',
    usd: '$0.0006',
  },
  {
    figure: 'Stable Diffusion 768px 20 steps',
    modelId: 'sd-1-x-768',
    params: { width: 768, height: 768, steps: 20 },
    spark: '0.37',
    usd: '$0.0019',
  },
  {
    figure: 'SDXL 1024 community checkpoints',
    modelId: 'sdxl-1024',
    params: { width: 1024, height: 1024, steps: 20 },
    spark: '1.00',
    usd: '$0.0050',
  },
  {
    figure: 'SDXL Turbo / Lightning 1024px 4 steps',
    modelId: 'sdxl-turbo-1024',
    params: { steps: 4 },
    spark: '0.11',
    usd: '$0.0006',
  },
  {
    figure: 'LCM 768px 4 steps',
    modelId: 'lcm-768',
    params: { width: 768, height: 768, steps: 4 },
    spark: '0.04',
    usd: '$0.0002',
  },
  {
    figure: 'SD3 Medium 1024px 20 steps',
    modelId: 'sd3-medium-1024',
    params: {},
    spark: '1.67',
    usd: '$0.0084',
  },
  {
    figure: 'FLUX.1 Schnell 1024px 4 steps',
    modelId: 'flux-1-schnell',
    params: {},
    spark: '0.80',
    usd: '$0.0040',
  },
  {
    figure: 'FLUX.1 Kontext Dev 1024px 20 steps',
    modelId: 'flux-1-kontext-dev',
    params: {},
    spark: '4.15',
    usd: '$0.0207',
  },
  {
    figure: 'Chroma Flash 1024px 10 steps',
    modelId: 'chroma-flash',
    params: { steps: 10 },
    spark: '2.20',
    usd: '$0.0110',
  },
  {
    figure: 'Chroma Detail 1024px 20 steps',
    modelId: 'chroma-detail',
    params: {},
    spark: '4.18',
    usd: '$0.0209',
  },
  {
    figure: 'FLUX.1 Krea Dev 1024px 20 steps',
    modelId: 'flux-1-krea-dev',
    params: {},
    spark: '4.53',
    usd: '$0.0226',
  },
  {
    figure: 'Z-Image 1024px 25 steps',
    modelId: 'z-image',
    params: { steps: 25 },
    spark: '4.00',
    usd: '$0.0200',
  },
  {
    figure: 'Z-Image Turbo 1024px 4 steps',
    modelId: 'z-image-turbo',
    params: {},
    spark: '0.80',
    usd: '$0.0040',
  },
  {
    figure: 'Flux.2 Dev 1024px 20 steps',
    modelId: 'flux-2-dev',
    params: {},
    spark: '4.15',
    usd: '$0.0207',
  },
  {
    figure: 'Qwen Image 2512 1024px 20 steps',
    modelId: 'qwen-image-2512',
    params: {},
    spark: '4.15',
    usd: '$0.0207',
  },
  {
    figure: 'Qwen Image 2512 Lightning 1024px 4 steps',
    modelId: 'qwen-image-2512-lightning',
    params: {},
    spark: '2.07',
    usd: '$0.0104',
  },
  {
    figure: 'Qwen Image Edit 2511 1024px 20 steps, no refs',
    modelId: 'qwen-image-edit-2511',
    params: { references: 0 },
    spark: '4.15',
    usd: '$0.0207',
  },
  {
    figure: 'GPT Image 2 1024x1024 medium, no refs',
    modelId: 'gpt-image-2',
    params: { quality: 'medium' },
    spark: '13.70',
    usd: '$0.0685',
  },
];

const tierTable: SeedFigure[] = [
  { figure: 'SDXL 1024 full', modelId: 'sdxl-1024', params: {}, spark: '1.00', usd: '$0.0050' },
  {
    figure: 'SDXL 1024 quantized, low end (4.5-bit)',
    modelId: 'sdxl-1024-4-5bit',
    params: {},
    spark: '0.95',
    usd: '$0.0048',
  },
  {
    figure: 'SDXL 1024 quantized, high end (8-bit)',
    modelId: 'sdxl-1024-8bit',
    params: {},
    spark: '0.97',
    usd: '$0.0049',
  },
  {
    figure: 'SDXL 896, low end (8-bit)',
    modelId: 'sdxl-896-8bit',
    params: {},
    spark: '0.75',
    usd: '$0.0038',
  },
  {
    figure: 'SDXL 896, high end (full)',
    modelId: 'sdxl-896',
    params: {},
    spark: '0.76',
    usd: '$0.0038',
  },
  {
    figure: 'SDXL 768, low end (4-bit)',
    modelId: 'sdxl-768-4bit',
    params: {},
    spark: '0.53',
    usd: '$0.0027',
  },
  {
    figure: 'SDXL 768, high end (8-bit)',
    modelId: 'sdxl-768-8bit',
    params: {},
    spark: '0.62',
    usd: '$0.0031',
  },
  {
    figure: 'Stable Diffusion 768',
    modelId: 'sd-1-x-768',
    params: {},
    spark: '0.37',
    usd: '$0.0019',
  },
  {
    figure: 'Stable Diffusion 512 (full and 6-bit)',
    modelId: 'sd-1-x-512-6bit',
    params: {},
    spark: '0.13',
    usd: '$0.0006',
  },
  {
    figure: 'SDXL Turbo / Lightning 1024',
    modelId: 'sdxl-lightning-1024',
    params: {},
    spark: '0.11',
    usd: '$0.0006',
  },
  {
    figure: 'SDXL Turbo / Lightning 896, low end',
    modelId: 'sdxl-lightning-896',
    params: {},
    spark: '0.09',
    usd: '$0.0004',
  },
  {
    figure: 'SDXL Turbo / Lightning 896, high end',
    modelId: 'sdxl-turbo-896',
    params: {},
    spark: '0.11',
    usd: '$0.0006',
  },
  {
    figure: 'SDXL Turbo / Lightning 768 (8-bit)',
    modelId: 'sdxl-turbo-768-8bit',
    params: {},
    spark: '0.06',
    usd: '$0.0003',
  },
  {
    figure: 'SDXL Turbo / Lightning 512 (8-bit)',
    modelId: 'sdxl-turbo-512-8bit',
    params: {},
    spark: '0.04',
    usd: '$0.0002',
  },
  { figure: 'LCM 768', modelId: 'lcm-768', params: {}, spark: '0.04', usd: '$0.0002' },
  {
    figure: 'LCM 512 (full and 6-bit)',
    modelId: 'lcm-512-6bit',
    params: {},
    spark: '0.01',
    usd: '$0.0001',
  },
  {
    figure: 'SD3 Medium 1024',
    modelId: 'sd3-medium-1024',
    params: {},
    spark: '1.67',
    usd: '$0.0084',
  },
  {
    figure: 'SD3 Medium 512',
    modelId: 'sd3-medium-512',
    params: {},
    spark: '0.37',
    usd: '$0.0018',
  },
];

const videoTable: SeedFigure[] = [
  {
    figure: 'WAN 2.2 14B LightX2V 1280x720, 81 frames, 16 fps, 4 steps',
    modelId: 'wan-2-2-14b-lightx2v',
    params: { width: 1280, height: 720, frames: 81, fps: 16, steps: 4 },
    spark: '46.2',
    usd: '$0.2308',
  },
  {
    figure: 'WAN 2.2 14B Full 1280x720, 81 frames, 16 fps, 20 steps',
    modelId: 'wan-2-2-14b-full',
    params: { width: 1280, height: 720, frames: 81, fps: 16, steps: 20 },
    spark: '115.4',
    usd: '$0.5769',
  },
  {
    figure: 'LTX-2.3 22B Distilled 1280x720, 125 frames, 25 fps, 8 steps',
    modelId: 'ltx-2-3-22b-distilled',
    params: { width: 1280, height: 720, frames: 125, fps: 25, steps: 8 },
    spark: '13.8',
    usd: '$0.0691',
  },
  {
    figure: 'LTX-2.3 22B Dev 1280x720, 125 frames, 25 fps, 20 steps',
    modelId: 'ltx-2-3-22b-dev',
    params: { width: 1280, height: 720, frames: 125, fps: 25, steps: 20 },
    spark: '34.6',
    usd: '$0.1728',
  },
  {
    figure: 'Seedance 2.0 Fast 720p, 5 s, no video reference',
    modelId: 'seedance-2-0-fast',
    params: { resolution: '720p', durationSeconds: 5, fps: 24 },
    spark: '156.1',
    usd: '$0.7806',
  },
  {
    figure: 'Seedance 2.0 Fast V2V 720p, 5 s',
    modelId: 'seedance-2-0-fast',
    params: { resolution: '720p', durationSeconds: 5, videoReference: true },
    spark: '92.4',
    usd: '$0.4619',
  },
  {
    figure: 'Seedance 2.0 720p, 5 s, no video reference',
    modelId: 'seedance-2-0',
    params: { resolution: '720p', durationSeconds: 5 },
    spark: '197.7',
    usd: '$0.9884',
  },
  {
    figure: 'Seedance 2.0 V2V 720p, 5 s',
    modelId: 'seedance-2-0',
    params: { resolution: '720p', durationSeconds: 5, videoReference: true },
    spark: '121.0',
    usd: '$0.6051',
  },
  {
    figure: 'Seedance 2.0 1080p, 5 s, no video reference',
    modelId: 'seedance-2-0',
    params: { resolution: '1080p', durationSeconds: 5 },
    spark: '486.5',
    usd: '$2.4324',
  },
  {
    figure: 'Seedance 2.0 V2V 1080p, 5 s',
    modelId: 'seedance-2-0',
    params: { resolution: '1080p', durationSeconds: 5, videoReference: true },
    spark: '296.9',
    usd: '$1.4847',
  },
];

const gptImageTable: SeedFigure[] = [
  {
    figure: '1024x1024 low, 0 refs',
    modelId: 'gpt-image-2',
    params: { width: 1024, height: 1024, quality: 'low' },
    spark: '1.53',
    usd: '$0.0076',
  },
  {
    figure: '1024x1024 medium, 0 refs',
    modelId: 'gpt-image-2',
    params: { width: 1024, height: 1024, quality: 'medium' },
    spark: '13.70',
    usd: '$0.0685',
  },
  {
    figure: '1024x1024 high, 0 refs',
    modelId: 'gpt-image-2',
    params: { width: 1024, height: 1024, quality: 'high' },
    spark: '54.8',
    usd: '$0.2739',
  },
  {
    figure: '1024x1024 medium, 1 ref',
    modelId: 'gpt-image-2',
    params: { width: 1024, height: 1024, quality: 'medium', references: 1 },
    spark: '30.8',
    usd: '$0.1542',
  },
  {
    figure: '1536x1024 high, 0 refs',
    modelId: 'gpt-image-2',
    params: { width: 1536, height: 1024, quality: 'high' },
    spark: '42.8',
    usd: '$0.2140',
  },
  {
    figure: '1536x1024 high, 2 outputs, 2 refs',
    modelId: 'gpt-image-2',
    params: { width: 1536, height: 1024, quality: 'high', count: 2, references: 2 },
    spark: '126.4',
    usd: '$0.6319',
  },
];

const audioLlmTable: SeedFigure[] = [
  {
    figure: 'Ace-Step v1.5 Turbo 30 s, 8 steps',
    modelId: 'ace-step-v1-5-turbo',
    params: { durationSeconds: 30, steps: 8 },
    spark: '0.9',
    usd: '$0.0043',
  },
  {
    figure: 'Ace-Step v1.5 SFT 30 s, 50 steps',
    modelId: 'ace-step-v1-5-sft',
    params: { durationSeconds: 30, steps: 50 },
    spark: '1.7',
    usd: '$0.0087',
  },
  {
    figure: 'Qwen3.6 35B-A3B 10k in, 2k out',
    modelId: 'qwen3-6-35b-a3b',
    params: { inputTokens: 10_000, outputTokens: 2_000 },
    spark: '0.96',
    usd: '$0.0048',
  },
  {
    figure: 'Qwen3.5 35B-A3B Abliterated 10k in, 2k out',
    modelId: 'qwen3-5-35b-a3b-abliterated',
    params: { inputTokens: 10_000, outputTokens: 2_000 },
    spark: '0.96',
    usd: '$0.0048',
  },
];

const faq: SeedFigure[] = [
  {
    figure: 'What is a Spark: SDXL 1024 fast, 20 steps = $0.005',
    modelId: 'sdxl-1024',
    params: { steps: 20, speed: 'fast' },
    spark: '1',
    usd: '$0.005',
  },
  {
    figure: '5 s 720p: LTX-2.3 Distilled',
    modelId: 'ltx-2-3-22b-distilled',
    params: { durationSeconds: 5, resolution: '720p' },
    spark: '13.8',
  },
  {
    figure: '5 s 720p: LTX-2.3 Dev',
    modelId: 'ltx-2-3-22b-dev',
    params: { durationSeconds: 5, resolution: '720p' },
    spark: '34.6',
  },
  {
    figure: '5 s 720p: WAN LightX2V',
    modelId: 'wan-2-2-14b-lightx2v',
    params: { durationSeconds: 5, resolution: '720p' },
    spark: '46.2',
  },
  {
    figure: '5 s 720p: WAN Full',
    modelId: 'wan-2-2-14b-full',
    params: { durationSeconds: 5, resolution: '720p' },
    spark: '115.4',
  },
  {
    figure: '5 s 720p: Seedance 2.0 Fast',
    modelId: 'seedance-2-0-fast',
    params: { durationSeconds: 5, resolution: '720p' },
    spark: '156.1',
  },
  {
    figure: '5 s 720p: Seedance 2.0',
    modelId: 'seedance-2-0',
    params: { durationSeconds: 5, resolution: '720p' },
    spark: '197.7',
  },
  {
    figure: '5 s 720p: Seedance V2V Fast',
    modelId: 'seedance-2-0-fast',
    params: { durationSeconds: 5, resolution: '720p', videoReference: 1 },
    spark: '92.4',
  },
  {
    figure: '5 s 720p: Seedance 2.0 V2V',
    modelId: 'seedance-2-0',
    params: { durationSeconds: 5, resolution: '720p', videoReference: 1 },
    spark: '121.0',
  },
];

const tables: Array<[string, SeedFigure[]]> = [
  ['headline examples', headline],
  ['image models table', imageTable],
  ['complete image tier table', tierTable],
  ['5 second video estimates', videoTable],
  ['GPT Image 2 output quality examples', gptImageTable],
  ['audio and language model pricing', audioLlmTable],
  ['FAQ', faq],
];

/** Seed 000 GPT Image 2 notes: output image tokens per example. */
const gptOutputTokens: Array<[string, 'low' | 'medium' | 'high', number, number, number]> = [
  ['1024x1024 low', 'low', 1024, 1024, 196],
  ['1024x1024 medium', 'medium', 1024, 1024, 1756],
  ['1024x1024 high', 'high', 1024, 1024, 7024],
  ['1536x1024 high', 'high', 1536, 1024, 5488],
];

/** Seed 000 Spark packs: "Up to N baseline SDXL jobs". */
const packs: Array<[number, number]> = [
  [275, 275],
  [550, 550],
  [1000, 1000],
  [2000, 2000],
  [4500, 4500],
];

describe('estimateSpark reproduces seed 000', () => {
  it('covers all 78 seed figures', () => {
    const rows = tables.reduce((n, [, rowsOf]) => n + rowsOf.length, 0);
    expect(rows + gptOutputTokens.length + packs.length).toBe(78);
  });

  describe.each(tables)('%s', (_table, rows) => {
    it.each(rows)('$figure → $spark Spark', ({ modelId, params, spark, usd }) => {
      const estimate = estimateSpark(model(modelId), params);
      expect(printed(estimate.spark, spark)).toBe(spark);
      if (usd !== undefined) expect(`$${printed(estimate.usd, usd.slice(1))}`).toBe(usd);
    });
  });

  it.each(gptOutputTokens)(
    'GPT Image 2 %s: output image tokens',
    (_label, quality, width, height, tokens) => {
      const formula = model('gpt-image-2').formula as OpenAiImageTokenFormula;
      expect(openAiImageOutputTokens(formula, quality, width, height)).toBe(tokens);
    },
  );

  it.each(packs)('a %d Spark pack buys up to %d baseline SDXL jobs', (packSpark, jobs) => {
    expect(Math.floor(packSpark / estimateSpark(model('sdxl-1024')).spark)).toBe(jobs);
  });
});

describe('estimateSpark basics', () => {
  it('prices USD at $0.005 per Spark', () => {
    const { spark, usd } = estimateSpark(model('wan-2-2-14b-full'));
    expect(usd).toBeCloseTo(spark * USD_PER_SPARK, 6);
  });

  it('defaults every parameter to the model default job', () => {
    expect(estimateSpark(model('qwen-image-2512'))).toEqual(
      estimateSpark(model('qwen-image-2512'), { width: 1024, height: 1024, steps: 20, count: 1 }),
    );
  });

  it('ignores parameters that mean nothing for the model class', () => {
    expect(
      estimateSpark(model('qwen3-6-35b-a3b'), { steps: 40, width: 4096, quality: 'high' }),
    ).toEqual(estimateSpark(model('qwen3-6-35b-a3b')));
  });

  it('rounds half up at the requested decimals', () => {
    expect(roundTo(0.00065, 4)).toBe(0.0007);
    expect(roundTo(0.000649, 4)).toBe(0.0006);
    expect(roundTo(126.38, 1)).toBe(126.4);
  });
});

describe('scaling from the default job', () => {
  const sdxl = model('sdxl-1024');

  it('image cost is linear in steps', () => {
    expect(estimateSpark(sdxl, { steps: 40 }).spark).toBe(2);
    expect(estimateSpark(sdxl, { steps: 10 }).spark).toBe(0.5);
  });

  it('image cost is linear in pixels relative to the default size', () => {
    expect(estimateSpark(sdxl, { width: 512, height: 512 }).spark).toBe(0.25);
    expect(estimateSpark(sdxl, { width: 1536, height: 1024 }).spark).toBe(1.5);
  });

  it('image count multiplies', () => {
    expect(estimateSpark(sdxl, { count: 4 }).spark).toBe(4);
    expect(estimateSpark(sdxl, { count: 2, steps: 30, width: 2048, height: 1024 }).spark).toBe(6);
  });

  it('each reference adds the model reference fraction of the job (edit models)', () => {
    const edit = model('qwen-image-edit-2511');
    const none = estimateSpark(edit).spark;
    expect(estimateSpark(edit, { references: 1 }).spark).toBeCloseTo(none * 2, 4);
    expect(estimateSpark(edit, { references: 3 }).spark).toBeCloseTo(none * 4, 4);
  });

  it('native video scales with duration (frames), resolution and steps', () => {
    const wan = model('wan-2-2-14b-lightx2v');
    const base = estimateSpark(wan).spark;
    // 10 s at 16 fps = 161 frames (WAN adds the first frame).
    expect(estimateSpark(wan, { durationSeconds: 10 }).spark).toBeCloseTo((base * 161) / 81, 4);
    expect(estimateSpark(wan, { frames: 161 }).spark).toBeCloseTo((base * 161) / 81, 4);
    expect(estimateSpark(wan, { resolution: '480p' }).spark).toBeCloseTo(
      (base * 832 * 480) / (1280 * 720),
      4,
    );
    expect(estimateSpark(wan, { steps: 8 }).spark).toBeCloseTo(base * 2, 4);
    const ltx = model('ltx-2-3-22b-distilled');
    // 4 s at 25 fps = 100 frames.
    expect(estimateSpark(ltx, { durationSeconds: 4 }).spark).toBeCloseTo(
      (estimateSpark(ltx).spark * 100) / 125,
      4,
    );
  });

  it('explicit width and height win over a resolution preset', () => {
    const ltx = model('ltx-2-3-22b-dev');
    expect(estimateSpark(ltx, { resolution: '1080p', width: 1280, height: 720 })).toEqual(
      estimateSpark(ltx),
    );
  });

  it('Seedance scales with generated duration and resolution, fixed 24 fps', () => {
    const seedance = model('seedance-2-0');
    const fiveSeconds = estimateSpark(seedance).spark;
    expect(estimateSpark(seedance, { durationSeconds: 10 }).spark).toBeCloseTo(fiveSeconds * 2, 3);
    expect(estimateSpark(seedance, { durationSeconds: 15 }).spark).toBeCloseTo(fiveSeconds * 3, 3);
    // 480p has no seed row: billed at the 720p rate on its own pixels.
    expect(estimateSpark(seedance, { resolution: '480p' }).spark).toBeCloseTo(
      (fiveSeconds * 854 * 480) / (1280 * 720),
      3,
    );
    expect(
      estimateSpark(model('seedance-2-0-fast'), { resolution: '480p', durationSeconds: 4 }).spark,
    ).toBeCloseTo((854 * 480 * 24 * 4 * 5.56 * 1.3) / 1024 / 1_000_000 / USD_PER_SPARK, 3);
  });

  it('Seedance V2V charges the generated duration at the video-input rate, whatever the number of videos', () => {
    const fast = model('seedance-2-0-fast');
    expect(estimateSpark(fast, { videoReference: 3 })).toEqual(
      estimateSpark(fast, { videoReference: true }),
    );
    expect(estimateSpark(fast, { videoReference: false })).toEqual(estimateSpark(fast));
    // Image references do not change the Seedance price.
    expect(estimateSpark(fast, { references: 9 })).toEqual(estimateSpark(fast));
  });

  it('HappyHorse 1.1 (no seed row) uses its documented per-second estimate', () => {
    const horse = model('happyhorse-1-1');
    expect(horse.pricing.source).toBe('estimate');
    expect(estimateSpark(horse)).toEqual({ spark: 182, usd: 0.91 });
    expect(estimateSpark(horse, { resolution: '1080p', durationSeconds: 10 }).spark).toBeCloseTo(
      624,
      4,
    );
  });

  it('GPT Image 2: count multiplies outputs; cached reference pricing after the first output', () => {
    const gpt = model('gpt-image-2');
    expect(estimateSpark(gpt, { count: 2 }).spark).toBeCloseTo(estimateSpark(gpt).spark * 2, 4);
    // 3 outputs, 3 refs at 1024x1024 medium: 3×1,756 out @ $30/M; 18,720 ref tokens @ $8/M once and
    // @ $2/M twice; 3×3,200 text @ $5/M; ×1.3.
    const usd = ((3 * 1756 * 30 + 18720 * 8 + 2 * 18720 * 2 + 3 * 3200 * 5) / 1e6) * 1.3;
    expect(estimateSpark(gpt, { count: 3, references: 3 }).spark).toBeCloseTo(
      usd / USD_PER_SPARK,
      4,
    );
  });

  it('GPT Image 2: auto quality is billed as high; larger sizes follow the token formula', () => {
    const gpt = model('gpt-image-2');
    expect(estimateSpark(gpt, { quality: 'auto' })).toEqual(
      estimateSpark(gpt, { quality: 'high' }),
    );
    const formula = gpt.formula as OpenAiImageTokenFormula;
    const tokens = openAiImageOutputTokens(formula, 'high', 3840, 2160);
    expect(estimateSpark(gpt, { width: 3840, height: 2160, quality: 'high' }).spark).toBeCloseTo(
      (((tokens * 30) / 1e6) * 1.3) / USD_PER_SPARK,
      4,
    );
  });

  it('audio is linear in duration, and in steps per second', () => {
    const turbo = model('ace-step-v1-5-turbo');
    expect(estimateSpark(turbo, { durationSeconds: 60 }).spark).toBeCloseTo(2 * 0.858, 4);
    expect(estimateSpark(turbo, { durationSeconds: 30, steps: 50 })).toEqual(
      estimateSpark(model('ace-step-v1-5-sft')),
    );
    expect(estimateSpark(turbo, { count: 2 }).spark).toBeCloseTo(2 * 0.858, 4);
  });

  it('LLM and agent jobs are priced by token counts', () => {
    expect(
      estimateSpark(model('qwen3-6-35b-a3b'), { inputTokens: 100_000, outputTokens: 0 }),
    ).toEqual({ spark: 6, usd: 0.03 });
    expect(
      estimateSpark(model('qwen3-6-35b-a3b'), { inputTokens: 0, outputTokens: 50_000 }),
    ).toEqual({ spark: 9, usd: 0.045 });
    expect(
      estimateSpark(model('creative-agent'), { inputTokens: 10_000, outputTokens: 2_000 }).spark,
    ).toBe(0.96);
  });
});

describe('relaxed', () => {
  it('halves the Spark of models that offer relaxed', () => {
    expect(estimateSpark(model('sdxl-1024'), { speed: 'relaxed' })).toEqual({
      spark: 0.5,
      usd: 0.0025,
    });
    expect(estimateSpark(model('z-image-turbo'), { speed: 'relaxed', count: 2 }).spark).toBe(0.8);
  });

  it('is offered for every open image model and nothing else', () => {
    for (const m of catalog.listModels()) {
      expect({ id: m.id, relaxed: m.relaxed }).toEqual({
        id: m.id,
        relaxed: m.class === 'image' && !m.vendor,
      });
    }
  });

  it.each([
    'gpt-image-2',
    'seedance-2-0',
    'seedance-2-0-fast',
    'happyhorse-1-1',
    'ltx-2-3-22b-distilled',
    'wan-2-2-14b-full',
    'ace-step-v1-5-turbo',
    'qwen3-6-35b-a3b',
    'creative-agent',
  ])('is refused for fast-only %s with a speed error', (id) => {
    expectParameterError(
      () => estimateSpark(model(id), { speed: 'relaxed' }),
      'speed',
      /relaxed is not offered/,
    );
  });
});

function expectParameterError(
  fn: () => unknown,
  parameter: JobParameterName,
  message?: RegExp,
): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(JobParameterError);
  const error = thrown as JobParameterError;
  expect(error.parameter).toBe(parameter);
  expect(error.message).toContain(parameter);
  if (message) expect(error.message).toMatch(message);
}

/** Wire input the type system would not allow, as the HTTP layer could receive it. */
function wire(json: string): JobParameters {
  return JSON.parse(json) as JobParameters;
}

interface ErrorCase {
  label: string;
  id: string;
  params: JobParameters;
  parameter: JobParameterName;
  message?: RegExp;
}

describe('validation: each bad parameter is named', () => {
  const cases: ErrorCase[] = [
    {
      label: 'unknown speed',
      id: 'sdxl-1024',
      params: wire('{"speed":"turbo"}'),
      parameter: 'speed',
    },
    { label: 'zero steps', id: 'sdxl-1024', params: { steps: 0 }, parameter: 'steps' },
    { label: 'negative steps', id: 'sdxl-1024', params: { steps: -4 }, parameter: 'steps' },
    { label: 'fractional steps', id: 'sdxl-1024', params: { steps: 2.5 }, parameter: 'steps' },
    { label: 'too many steps', id: 'sdxl-1024', params: { steps: 101 }, parameter: 'steps' },
    { label: 'steps as text', id: 'sdxl-1024', params: wire('{"steps":"20"}'), parameter: 'steps' },
    { label: 'zero video steps', id: 'ltx-2-3-22b-dev', params: { steps: 0 }, parameter: 'steps' },
    {
      label: 'zero audio steps',
      id: 'ace-step-v1-5-sft',
      params: { steps: 0 },
      parameter: 'steps',
    },
    {
      label: 'image width off the latent grid',
      id: 'sdxl-1024',
      params: { width: 1020 },
      parameter: 'width',
      message: /multiple of 8/,
    },
    {
      label: 'image height too large',
      id: 'sdxl-1024',
      params: { height: 4096 },
      parameter: 'height',
    },
    { label: 'image width too small', id: 'sdxl-1024', params: { width: 128 }, parameter: 'width' },
    { label: 'zero image count', id: 'sdxl-1024', params: { count: 0 }, parameter: 'count' },
    { label: 'image count over 16', id: 'sdxl-1024', params: { count: 17 }, parameter: 'count' },
    {
      label: 'references on a model without references',
      id: 'sdxl-1024',
      params: { references: 1 },
      parameter: 'references',
      message: /takes no reference images/,
    },
    {
      label: 'negative references',
      id: 'flux-2-dev',
      params: { references: -1 },
      parameter: 'references',
    },
    {
      label: 'too many edit references',
      id: 'qwen-image-edit-2511',
      params: { references: 4 },
      parameter: 'references',
      message: /at most 3/,
    },
    {
      label: 'video reference on an image model',
      id: 'sdxl-1024',
      params: { videoReference: true },
      parameter: 'videoReference',
    },
    {
      label: 'GPT Image 2 width off the 16 px grid',
      id: 'gpt-image-2',
      params: { width: 1000 },
      parameter: 'width',
      message: /multiple of 16/,
    },
    {
      label: 'GPT Image 2 height off the 16 px grid',
      id: 'gpt-image-2',
      params: { height: 1032 },
      parameter: 'height',
      message: /multiple of 16/,
    },
    {
      label: 'GPT Image 2 edge above 3840',
      id: 'gpt-image-2',
      params: { width: 3856, height: 1536 },
      parameter: 'width',
    },
    {
      label: 'GPT Image 2 below 655,360 pixels',
      id: 'gpt-image-2',
      params: { width: 512, height: 512 },
      parameter: 'width',
      message: /655,360 to 8,294,400 pixels/,
    },
    {
      label: 'GPT Image 2 above 8,294,400 pixels',
      id: 'gpt-image-2',
      params: { width: 3840, height: 2176 },
      parameter: 'width',
      message: /655,360 to 8,294,400 pixels/,
    },
    {
      label: 'GPT Image 2 wider than 3:1',
      id: 'gpt-image-2',
      params: { width: 3840, height: 1264 },
      parameter: 'width',
      message: /3:1 aspect ratio/,
    },
    {
      label: 'GPT Image 2 taller than 3:1',
      id: 'gpt-image-2',
      params: { width: 1024, height: 3088 },
      parameter: 'height',
      message: /3:1 aspect ratio/,
    },
    {
      label: 'GPT Image 2 unknown quality',
      id: 'gpt-image-2',
      params: { quality: 'ultra' },
      parameter: 'quality',
      message: /low, medium, high, auto/,
    },
    {
      label: 'GPT Image 2 more than 16 references',
      id: 'gpt-image-2',
      params: { references: 17 },
      parameter: 'references',
      message: /at most 16/,
    },
    {
      label: 'GPT Image 2 zero outputs',
      id: 'gpt-image-2',
      params: { count: 0 },
      parameter: 'count',
    },
    {
      label: 'GPT Image 2 more than 10 outputs',
      id: 'gpt-image-2',
      params: { count: 11 },
      parameter: 'count',
    },
    {
      label: 'Seedance unknown resolution',
      id: 'seedance-2-0',
      params: { resolution: '4k' },
      parameter: 'resolution',
      message: /480p, 720p, 1080p/,
    },
    {
      label: 'Seedance Fast has no 1080p',
      id: 'seedance-2-0-fast',
      params: { resolution: '1080p' },
      parameter: 'resolution',
      message: /480p, 720p/,
    },
    {
      label: 'Seedance shorter than 4 s',
      id: 'seedance-2-0',
      params: { durationSeconds: 3 },
      parameter: 'durationSeconds',
      message: /4 to 15/,
    },
    {
      label: 'Seedance longer than 15 s',
      id: 'seedance-2-0-fast',
      params: { durationSeconds: 16 },
      parameter: 'durationSeconds',
      message: /4 to 15/,
    },
    {
      label: 'Seedance fractional seconds',
      id: 'seedance-2-0',
      params: { durationSeconds: 4.5 },
      parameter: 'durationSeconds',
    },
    {
      label: 'Seedance not at 24 fps',
      id: 'seedance-2-0',
      params: { fps: 30 },
      parameter: 'fps',
      message: /fixed 24 fps/,
    },
    {
      label: 'Seedance more than 9 image references',
      id: 'seedance-2-0',
      params: { references: 10 },
      parameter: 'references',
      message: /at most 9/,
    },
    {
      label: 'Seedance more than 3 video references',
      id: 'seedance-2-0',
      params: { videoReference: 4 },
      parameter: 'videoReference',
      message: /at most 3/,
    },
    {
      label: 'Seedance fractional video references',
      id: 'seedance-2-0',
      params: { videoReference: 1.5 },
      parameter: 'videoReference',
    },
    { label: 'Seedance batch', id: 'seedance-2-0', params: { count: 2 }, parameter: 'count' },
    {
      label: 'HappyHorse unknown resolution',
      id: 'happyhorse-1-1',
      params: { resolution: '480p' },
      parameter: 'resolution',
      message: /720p, 1080p/,
    },
    {
      label: 'HappyHorse shorter than 3 s',
      id: 'happyhorse-1-1',
      params: { durationSeconds: 2 },
      parameter: 'durationSeconds',
    },
    {
      label: 'HappyHorse video reference',
      id: 'happyhorse-1-1',
      params: { videoReference: true },
      parameter: 'videoReference',
      message: /no video reference/,
    },
    {
      label: 'native video unknown resolution',
      id: 'ltx-2-3-22b-distilled',
      params: { resolution: '360p' },
      parameter: 'resolution',
    },
    {
      label: 'native video width off the grid',
      id: 'wan-2-2-14b-full',
      params: { width: 1284 },
      parameter: 'width',
    },
    {
      label: 'native video too many frames',
      id: 'wan-2-2-14b-full',
      params: { frames: 162 },
      parameter: 'frames',
    },
    {
      label: 'native video duration beyond the frame limit',
      id: 'wan-2-2-14b-lightx2v',
      params: { durationSeconds: 11 },
      parameter: 'durationSeconds',
      message: /at most 161/,
    },
    {
      label: 'native video zero duration',
      id: 'ltx-2-3-22b-dev',
      params: { durationSeconds: 0 },
      parameter: 'durationSeconds',
    },
    {
      label: 'native video frames disagree with duration',
      id: 'wan-2-2-14b-full',
      params: { durationSeconds: 5, frames: 100 },
      parameter: 'frames',
      message: /expected 81/,
    },
    {
      label: 'native video fps above 60',
      id: 'ltx-2-3-22b-dev',
      params: { fps: 120 },
      parameter: 'fps',
    },
    {
      label: 'native video batch',
      id: 'ltx-2-3-22b-dev',
      params: { count: 2 },
      parameter: 'count',
    },
    {
      label: 'native video video reference',
      id: 'ltx-2-3-22b-dev',
      params: { videoReference: true },
      parameter: 'videoReference',
    },
    {
      label: 'audio zero duration',
      id: 'ace-step-v1-5-turbo',
      params: { durationSeconds: 0 },
      parameter: 'durationSeconds',
    },
    {
      label: 'audio longer than 10 minutes',
      id: 'ace-step-v1-5-turbo',
      params: { durationSeconds: 601 },
      parameter: 'durationSeconds',
    },
    {
      label: 'audio references',
      id: 'ace-step-v1-5-turbo',
      params: { references: 1 },
      parameter: 'references',
    },
    {
      label: 'LLM negative input tokens',
      id: 'qwen3-6-35b-a3b',
      params: { inputTokens: -1 },
      parameter: 'inputTokens',
    },
    {
      label: 'LLM input beyond the context',
      id: 'qwen3-6-35b-a3b',
      params: { inputTokens: 262_145 },
      parameter: 'inputTokens',
    },
    {
      label: 'LLM fractional output tokens',
      id: 'qwen3-6-35b-a3b',
      params: { outputTokens: 1.5 },
      parameter: 'outputTokens',
    },
    {
      label: 'agent output beyond the limit',
      id: 'creative-agent',
      params: { outputTokens: 65_537 },
      parameter: 'outputTokens',
    },
  ];

  it.each(cases)('$label ($id)', ({ id, params, parameter, message }) => {
    expectParameterError(() => estimateSpark(model(id), params), parameter, message);
  });

  it('Seedance refuses more reference assets in total than allowed', () => {
    const seedance = model('seedance-2-0');
    if (seedance.formula.kind !== 'vendor_video_tokens') throw new Error('test setup');
    const tighter: ModelDefinition = {
      ...seedance,
      formula: { ...seedance.formula, maxTotalReferences: 10 },
    };
    expectParameterError(
      () => estimateSpark(tighter, { references: 9, videoReference: 2 }),
      'references',
      /at most 10 reference assets/,
    );
    expect(estimateSpark(tighter, { references: 8, videoReference: 2 }).spark).toBeGreaterThan(0);
  });

  it('accepts the bounds themselves', () => {
    expect(estimateSpark(model('seedance-2-0'), { durationSeconds: 4 }).spark).toBeGreaterThan(0);
    expect(
      estimateSpark(model('seedance-2-0'), {
        durationSeconds: 15,
        references: 9,
        videoReference: 3,
      }).spark,
    ).toBeGreaterThan(0);
    expect(
      estimateSpark(model('gpt-image-2'), { width: 3840, height: 2160, references: 16, count: 10 })
        .spark,
    ).toBeGreaterThan(0);
    expect(estimateSpark(model('gpt-image-2'), { width: 1536, height: 512 }).spark).toBeGreaterThan(
      0,
    );
    expect(estimateSpark(model('gpt-image-2'), { width: 2400, height: 800 }).spark).toBeGreaterThan(
      0,
    );
  });
});
