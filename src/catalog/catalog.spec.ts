import { Catalog } from './catalog';
import { loadCatalog } from './catalog.loader';
import type { ModelDefinition, Store } from './catalog.types';

const catalog: Catalog = loadCatalog();

/** SPEC §3: every model of the seeds, by the id the catalog gives it. */
const OPEN_MODELS = [
  // SD 1.x/2.x, SDXL and its Turbo, Lightning and LCM variants, SD3 Medium
  'sd-1-x-512',
  'sd-1-x-512-6bit',
  'sd-1-x-768',
  'sdxl-1024',
  'sdxl-1024-8bit',
  'sdxl-1024-4-5bit',
  'sdxl-896',
  'sdxl-896-8bit',
  'sdxl-768-8bit',
  'sdxl-768-4bit',
  'sdxl-turbo-1024',
  'sdxl-lightning-1024',
  'sdxl-turbo-896',
  'sdxl-lightning-896',
  'sdxl-turbo-768-8bit',
  'sdxl-turbo-512-8bit',
  'lcm-768',
  'lcm-512',
  'lcm-512-6bit',
  'sd3-medium-1024',
  'sd3-medium-512',
  'flux-1-schnell',
  'flux-1-kontext-dev',
  'flux-1-krea-dev',
  'krea-2-turbo',
  'z-image',
  'z-image-turbo',
  'chroma-flash',
  'chroma-detail',
  'qwen-image-2512',
  'qwen-image-2512-lightning',
  'qwen-image-edit-2511',
  'qwen-image-edit-2511-lightning',
  'flux-2-dev',
  'ltx-2-3-22b-distilled',
  'ltx-2-3-22b-dev',
  'wan-2-2-14b-lightx2v',
  'wan-2-2-14b-full',
  'ace-step-v1-5-turbo',
  'ace-step-v1-5-sft',
  'ace-step-v1-5-xl-turbo',
  'ace-step-v1-5-xl-sft',
  'qwen3-6-35b-a3b',
  'qwen3-5-35b-a3b-abliterated',
  'creative-agent',
];
const VENDOR_MODELS = ['gpt-image-2', 'seedance-2-0', 'seedance-2-0-fast', 'happyhorse-1-1'];

describe('Catalog models', () => {
  it('lists every model of the seeds, and nothing else', () => {
    expect(
      catalog
        .listModels()
        .map((m) => m.id)
        .sort(),
    ).toEqual([...OPEN_MODELS, ...VENDOR_MODELS].sort());
  });

  it('finds a model by id and returns undefined for an unknown id', () => {
    expect(catalog.getModel('z-image-turbo')).toMatchObject({
      id: 'z-image-turbo',
      name: 'Z-Image Turbo',
      class: 'image',
      vendor: false,
      relaxed: true,
    });
    expect(catalog.getModel('no-such-model')).toBeUndefined();
    expect(catalog.getModel('')).toBeUndefined();
  });

  it('classes the models as the seeds do', () => {
    const byClass = (cls: string) =>
      catalog
        .listModels()
        .filter((m) => m.class === cls)
        .map((m) => m.id)
        .sort();
    expect(byClass('video')).toEqual(
      [
        'happyhorse-1-1',
        'ltx-2-3-22b-dev',
        'ltx-2-3-22b-distilled',
        'seedance-2-0',
        'seedance-2-0-fast',
        'wan-2-2-14b-full',
        'wan-2-2-14b-lightx2v',
      ].sort(),
    );
    expect(byClass('audio')).toHaveLength(4);
    expect(byClass('llm')).toEqual(['qwen3-5-35b-a3b-abliterated', 'qwen3-6-35b-a3b']);
    expect(byClass('agent')).toEqual(['creative-agent']);
  });

  it('marks exactly the four vendor models, each naming its vendor', () => {
    const vendors = catalog.listModels().filter((m) => m.vendor);
    expect(vendors.map((m) => m.id).sort()).toEqual([...VENDOR_MODELS].sort());
    expect(Object.fromEntries(vendors.map((m) => [m.id, m.vendorName]))).toEqual({
      'gpt-image-2': 'OpenAI',
      'seedance-2-0': 'ByteDance/BytePlus',
      'seedance-2-0-fast': 'ByteDance/BytePlus',
      'happyhorse-1-1': 'Alibaba',
    });
  });

  it('says where each price comes from; estimates are the models without a seed row', () => {
    const estimates = catalog
      .listModels()
      .filter((m) => m.pricing.source === 'estimate')
      .map((m) => m.id)
      .sort();
    expect(estimates).toEqual(
      [
        'ace-step-v1-5-xl-sft',
        'ace-step-v1-5-xl-turbo',
        'creative-agent',
        'happyhorse-1-1',
        'krea-2-turbo',
        'qwen-image-edit-2511-lightning',
      ].sort(),
    );
  });
});

describe('Catalog coverage (by rule: known and not a vendor model)', () => {
  it.each(OPEN_MODELS)('covers open model %s', (id) => {
    expect(catalog.isCoveredId(id)).toBe(true);
  });

  it.each(VENDOR_MODELS)('never covers vendor model %s', (id) => {
    expect(catalog.isCoveredId(id)).toBe(false);
  });

  it('never covers an unknown id', () => {
    expect(catalog.isCoveredId('sdxl-9000')).toBe(false);
  });

  it('follows the vendor flag, not the id', () => {
    const sdxl = catalog.getModel('sdxl-1024') as ModelDefinition;
    const asVendor = new Catalog({
      plans: catalog.listPlans(),
      models: [{ ...sdxl, vendor: true, vendorName: 'Someone' }],
      productMap: { stripe: [], apple: [], google: [] },
    });
    expect(asVendor.isCoveredId('sdxl-1024')).toBe(false);
    expect(catalog.isCovered(sdxl)).toBe(true);
  });

  it('does not cover a model object that is not in the catalog', () => {
    const sdxl = catalog.getModel('sdxl-1024') as ModelDefinition;
    expect(catalog.isCovered({ ...sdxl })).toBe(false);
    expect(catalog.isCovered({ ...sdxl, id: 'made-up' })).toBe(false);
  });
});

describe('Catalog plans', () => {
  it('defines both plans with prices and concurrency (SPEC §2)', () => {
    expect(catalog.plan('unlimited')).toEqual({
      id: 'unlimited',
      name: 'Unlimited',
      prices: {
        month: { amountCents: 2000, currency: 'usd' },
        year: { amountCents: 19900, currency: 'usd' },
      },
      concurrency: { image: 4, video: 1, audio: null, llm: null, agent: null },
    });
    expect(catalog.plan('unlimited_pro')).toEqual({
      id: 'unlimited_pro',
      name: 'Unlimited Pro',
      prices: {
        month: { amountCents: 5000, currency: 'usd' },
        year: { amountCents: 49800, currency: 'usd' },
      },
      concurrency: { image: 16, video: 4, audio: null, llm: null, agent: null },
    });
    expect(catalog.listPlans().map((p) => p.id)).toEqual(['unlimited', 'unlimited_pro']);
  });

  it('answers the concurrency cap per class; audio, LLM and agent have none', () => {
    expect(catalog.concurrencyLimit('unlimited', 'image')).toBe(4);
    expect(catalog.concurrencyLimit('unlimited', 'video')).toBe(1);
    expect(catalog.concurrencyLimit('unlimited_pro', 'image')).toBe(16);
    expect(catalog.concurrencyLimit('unlimited_pro', 'video')).toBe(4);
    expect(catalog.concurrencyLimit('unlimited_pro', 'audio')).toBeNull();
    expect(catalog.concurrencyLimit('unlimited', 'llm')).toBeNull();
    expect(catalog.concurrencyLimit('unlimited', 'agent')).toBeNull();
  });
});

describe('Catalog product map (SPEC §2 defaults)', () => {
  const cases: Array<[Store, string, string | undefined, string, string]> = [
    ['stripe', 'unlimited_monthly', undefined, 'unlimited', 'month'],
    ['stripe', 'unlimited_annual', undefined, 'unlimited', 'year'],
    ['stripe', 'unlimited_pro_monthly', undefined, 'unlimited_pro', 'month'],
    ['stripe', 'unlimited_pro_annual', undefined, 'unlimited_pro', 'year'],
    ['apple', 'unlimited.monthly', undefined, 'unlimited', 'month'],
    ['apple', 'unlimited.annual', undefined, 'unlimited', 'year'],
    ['apple', 'unlimited_pro.monthly', undefined, 'unlimited_pro', 'month'],
    ['apple', 'unlimited_pro.annual', undefined, 'unlimited_pro', 'year'],
    ['google', 'unlimited', 'monthly', 'unlimited', 'month'],
    ['google', 'unlimited', 'annual', 'unlimited', 'year'],
    ['google', 'unlimited_pro', 'monthly', 'unlimited_pro', 'month'],
    ['google', 'unlimited_pro', 'annual', 'unlimited_pro', 'year'],
  ];

  it.each(cases)('%s %s %s → %s / %s', (store, productId, basePlanId, plan, interval) => {
    expect(catalog.product(store, productId, basePlanId)).toEqual({ plan, interval });
  });

  it('answers null for an unknown product (it grants nothing)', () => {
    expect(catalog.product('stripe', 'unlimited_weekly')).toBeNull();
    expect(catalog.product('apple', 'unlimited_monthly')).toBeNull();
    expect(catalog.product('google', 'unlimited', 'weekly')).toBeNull();
    expect(catalog.product('google', 'unlimited.monthly', 'monthly')).toBeNull();
  });

  it('does not mix stores', () => {
    expect(catalog.product('stripe', 'unlimited.monthly')).toBeNull();
    expect(catalog.product('apple', 'unlimited')).toBeNull();
  });

  it('needs the Google base plan: one product carries both intervals', () => {
    expect(catalog.product('google', 'unlimited')).toBeNull();
  });

  it('ignores a base plan for the stores that have none', () => {
    expect(catalog.product('apple', 'unlimited.annual', 'monthly')).toEqual({
      plan: 'unlimited',
      interval: 'year',
    });
  });

  it('hands out copies: a caller cannot change the map', () => {
    const grant = catalog.product('stripe', 'unlimited_monthly');
    if (grant === null) throw new Error('test setup');
    grant.plan = 'unlimited_pro';
    expect(catalog.product('stripe', 'unlimited_monthly')).toEqual({
      plan: 'unlimited',
      interval: 'month',
    });
  });
});
