import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CatalogSources,
  CatalogValidationError,
  loadCatalog,
  parseCatalog,
} from './catalog.loader';
import bundledModels from './data/models.json';
import bundledPlans from './data/plans.json';
import bundledProductMap from './data/product-map.json';

type Json = Record<string, unknown>;

/** A fresh, mutable copy of the bundled data. */
function sources(): { plans: { plans: Json[] }; models: { models: Json[] }; productMap: Json } {
  return structuredClone({
    plans: bundledPlans as { plans: Json[] },
    models: bundledModels as { models: Json[] },
    productMap: bundledProductMap as Json,
  });
}

function problemsOf(input: CatalogSources): string[] {
  try {
    parseCatalog(input);
  } catch (e) {
    if (e instanceof CatalogValidationError) return e.problems;
    throw e;
  }
  throw new Error('expected the catalog to be refused');
}

function modelAt(s: ReturnType<typeof sources>, id: string): Json {
  const found = s.models.models.find((m) => m.id === id);
  if (found === undefined) throw new Error(`test setup: no ${id}`);
  return found;
}

describe('parseCatalog', () => {
  it('accepts the bundled data files', () => {
    const data = parseCatalog(sources());
    expect(data.models).toHaveLength(49);
    expect(data.plans).toHaveLength(2);
    expect(data.productMap.stripe).toHaveLength(4);
  });

  it('collects every problem into one error', () => {
    const s = sources();
    modelAt(s, 'sdxl-1024').id = 'SDXL 1024';
    modelAt(s, 'flux-1-schnell').class = 'picture';
    s.plans.plans.pop();
    (s.productMap.apple as Json[])[0].plan = 'gold';
    const problems = problemsOf(s);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('.id must be a kebab-case string'),
        expect.stringContaining(
          '(flux-1-schnell).class must be one of image, video, audio, llm, agent',
        ),
        'plans must define unlimited_pro',
        'product map apple[0].plan must be one of unlimited, unlimited_pro',
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(4);
    expect(() => parseCatalog(s)).toThrow(/^Invalid catalog: .*; .*; .*; /);
  });

  it('refuses a model id listed twice', () => {
    const s = sources();
    s.models.models.push(structuredClone(modelAt(s, 'z-image')));
    expect(problemsOf(s)).toEqual([expect.stringContaining('(z-image).id is listed twice')]);
  });

  it('refuses relaxed on a vendor model or a non-image model (seed: fast-only)', () => {
    const s = sources();
    modelAt(s, 'gpt-image-2').relaxed = true;
    modelAt(s, 'ltx-2-3-22b-dev').relaxed = true;
    expect(problemsOf(s)).toEqual([
      expect.stringContaining('(gpt-image-2).relaxed is only offered for open image models'),
      expect.stringContaining('(ltx-2-3-22b-dev).relaxed is only offered for open image models'),
    ]);
  });

  it('ties formulas to classes and to the vendor flag', () => {
    const s = sources();
    modelAt(s, 'seedance-2-0').vendor = false;
    modelAt(s, 'qwen3-6-35b-a3b').class = 'audio';
    const problems = problemsOf(s);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          '(seedance-2-0).vendor must be true for formula vendor_video_tokens',
        ),
        expect.stringContaining('(seedance-2-0).vendorName must be null for an open model'),
        expect.stringContaining(
          '(qwen3-6-35b-a3b).formula.kind llm_tokens prices llm/agent models, not audio',
        ),
      ]),
    );
  });

  it('refuses an unknown formula kind and non-positive formula numbers', () => {
    const s = sources();
    (modelAt(s, 'z-image').formula as Json).kind = 'magic';
    (modelAt(s, 'chroma-flash').formula as Json).defaultSpark = 0;
    (modelAt(s, 'seedance-2-0').formula as Json).resolutions = {};
    expect(problemsOf(s)).toEqual([
      expect.stringContaining('(chroma-flash).formula.defaultSpark must be a positive number'),
      expect.stringContaining('(z-image).formula.kind must be one of image_benchmark'),
      expect.stringContaining(
        '(seedance-2-0).formula.resolutions must map at least one resolution',
      ),
    ]);
  });

  it('refuses a default job the model itself would refuse', () => {
    const s = sources();
    (modelAt(s, 'sdxl-1024').defaults as Json).steps = 0;
    (modelAt(s, 'seedance-2-0').defaults as Json).resolution = '4k';
    expect(problemsOf(s)).toEqual([
      expect.stringContaining('(sdxl-1024): the default job is not valid: steps must be'),
      expect.stringContaining(
        '(seedance-2-0): the default job is not valid: resolution must be one of',
      ),
    ]);
  });

  it('refuses a model without pricing provenance', () => {
    const s = sources();
    delete modelAt(s, 'z-image').pricing;
    expect(problemsOf(s)).toEqual([expect.stringContaining('(z-image).pricing must be')]);
  });

  it('refuses bad plan prices and concurrency', () => {
    const s = sources();
    (s.plans.plans[0].prices as Json).year = { amountCents: -1, currency: 'usd' };
    (s.plans.plans[1].concurrency as Json).video = 0;
    delete (s.plans.plans[1].concurrency as Json).llm;
    expect(problemsOf(s)).toEqual([
      'plans[0].prices.year must be { amountCents: positive integer, currency: "usd" }',
      'plans[1].concurrency.video must be a positive integer or null (no separate cap)',
      'plans[1].concurrency.llm must be a positive integer or null (no separate cap)',
    ]);
  });

  it('refuses a product mapped twice, a missing key, an unknown store or a bad interval', () => {
    const s = sources();
    (s.productMap.stripe as Json[]).push({
      lookupKey: 'unlimited_monthly',
      plan: 'unlimited',
      interval: 'month',
    });
    (s.productMap.google as Json[]).push({
      productId: 'unlimited',
      plan: 'unlimited',
      interval: 'week',
    });
    s.productMap.amazon = [];
    expect(problemsOf(s)).toEqual([
      'product map has an unknown store "amazon"',
      'product map stripe[4] maps unlimited_monthly a second time',
      'product map google[4].basePlanId must be a non-empty string',
      'product map google[4].interval must be one of month, year',
    ]);
  });

  it('refuses files of the wrong shape', () => {
    expect(problemsOf({ plans: [], models: {}, productMap: null })).toEqual([
      'plans must be an array',
      'plans must define unlimited',
      'plans must define unlimited_pro',
      'models must be an array',
      'product map must be an object with stripe, apple and google lists',
    ]);
  });
});

describe('loadCatalog', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'product-map-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the bundled files by default', () => {
    expect(loadCatalog().product('stripe', 'unlimited_pro_annual')).toEqual({
      plan: 'unlimited_pro',
      interval: 'year',
    });
  });

  it('replaces the bundled product map with the file at productMapPath', () => {
    const path = join(dir, 'map.json');
    writeFileSync(
      path,
      JSON.stringify({
        stripe: [{ lookupKey: 'pro_2027', plan: 'unlimited_pro', interval: 'month' }],
        apple: [],
        google: [{ productId: 'sub', basePlanId: 'p1y', plan: 'unlimited', interval: 'year' }],
      }),
    );
    const catalog = loadCatalog({ productMapPath: path });
    expect(catalog.product('stripe', 'pro_2027')).toEqual({
      plan: 'unlimited_pro',
      interval: 'month',
    });
    expect(catalog.product('google', 'sub', 'p1y')).toEqual({
      plan: 'unlimited',
      interval: 'year',
    });
    expect(catalog.product('stripe', 'unlimited_monthly')).toBeNull();
    // Models and plans are untouched.
    expect(catalog.getModel('sdxl-1024')?.name).toBe('SDXL 1024 (community checkpoints)');
  });

  it('validates the replacement map like the bundled one', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({
        stripe: [{ lookupKey: '', plan: 'x', interval: 'month' }],
        apple: [],
        google: [],
      }),
    );
    expect(() => loadCatalog({ productMapPath: path })).toThrow(CatalogValidationError);
    expect(() => loadCatalog({ productMapPath: path })).toThrow(
      /stripe\[0\]\.lookupKey must be a non-empty string; .*stripe\[0\]\.plan must be one of/,
    );
  });

  it('names PRODUCT_MAP_PATH when the file is not JSON or cannot be read', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ not json');
    expect(() => loadCatalog({ productMapPath: path })).toThrow(
      'Invalid catalog: PRODUCT_MAP_PATH is not valid JSON',
    );
    expect(() => loadCatalog({ productMapPath: join(dir, 'missing.json') })).toThrow(
      'Invalid catalog: PRODUCT_MAP_PATH cannot be read',
    );
  });
});
