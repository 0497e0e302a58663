/**
 * Loads the catalog data files and validates them once, at boot. Every problem is collected and
 * thrown together in one `CatalogValidationError`, so a bad data file is fixed in one pass.
 */
import { readFileSync } from 'node:fs';
import { BILLING_INTERVALS, PLAN_IDS, STORES } from '../entitlements/domain/subscription-snapshot';
import { Catalog } from './catalog';
import {
  MODEL_ACCESS,
  MODEL_CLASSES,
  type CatalogData,
  type CostFormulaKind,
  type ModelClass,
  type ModelDefinition,
  type PlanDefinition,
  type ProductMap,
} from './catalog.types';
import bundledModels from './data/models.json';
import bundledPlans from './data/plans.json';
import bundledProductMap from './data/product-map.json';
import { estimateSpark, JobParameterError } from './spark-estimator';

export class CatalogValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid catalog: ${problems.join('; ')}`);
    this.name = 'CatalogValidationError';
  }
}

export interface CatalogSources {
  /** `{ "plans": [...] }` */
  plans: unknown;
  /** `{ "models": [...] }` */
  models: unknown;
  /** `{ "stripe": [...], "apple": [...], "google": [...] }` */
  productMap: unknown;
}

export interface LoadCatalogOptions {
  /** A JSON file of the product map's shape that replaces the bundled one (PRODUCT_MAP_PATH). */
  productMapPath?: string;
}

/** The bundled data files, with the product map optionally replaced from a file. */
export function loadCatalog(options: LoadCatalogOptions = {}): Catalog {
  let productMap: unknown = bundledProductMap;
  if (options.productMapPath !== undefined) {
    try {
      productMap = JSON.parse(readFileSync(options.productMapPath, 'utf8'));
    } catch (e) {
      const reason = e instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
      throw new CatalogValidationError([`PRODUCT_MAP_PATH ${reason}`]);
    }
  }
  return new Catalog(parseCatalog({ plans: bundledPlans, models: bundledModels, productMap }));
}

/** Validates raw data (as parsed from JSON) into typed catalog data. */
export function parseCatalog(sources: CatalogSources): CatalogData {
  const problems: string[] = [];
  const plans = parsePlans(sources.plans, problems);
  const models = parseModels(sources.models, problems);
  const productMap = parseProductMap(sources.productMap, problems);
  if (problems.length > 0) throw new CatalogValidationError(problems);
  return { plans, models, productMap };
}

type Json = Record<string, unknown>;

const KEBAB_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayAt(root: unknown, key: string, label: string, problems: string[]): unknown[] {
  const value = isObject(root) ? root[key] : undefined;
  if (!Array.isArray(value)) {
    problems.push(`${label} must be an array`);
    return [];
  }
  return value;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

function positive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function nonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function positiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function parsePlans(raw: unknown, problems: string[]): PlanDefinition[] {
  const list = arrayAt(raw, 'plans', 'plans', problems);
  const seen = new Set<string>();
  list.forEach((plan, i) => {
    const at = `plans[${i}]`;
    if (!isObject(plan)) {
      problems.push(`${at} must be an object`);
      return;
    }
    if (!PLAN_IDS.includes(plan.id as never)) {
      problems.push(`${at}.id must be one of ${PLAN_IDS.join(', ')}`);
    } else if (seen.has(plan.id as string)) {
      problems.push(`${at}.id ${String(plan.id)} is listed twice`);
    }
    seen.add(String(plan.id));
    if (!nonEmptyString(plan.name)) problems.push(`${at}.name must be a non-empty string`);
    const prices = isObject(plan.prices) ? plan.prices : {};
    for (const interval of BILLING_INTERVALS) {
      const price = prices[interval];
      if (!isObject(price) || !positiveInt(price.amountCents) || price.currency !== 'usd') {
        problems.push(
          `${at}.prices.${interval} must be { amountCents: positive integer, currency: "usd" }`,
        );
      }
    }
    const concurrency = isObject(plan.concurrency) ? plan.concurrency : {};
    for (const cls of MODEL_CLASSES) {
      const cap = concurrency[cls];
      if (cap !== null && !positiveInt(cap)) {
        problems.push(
          `${at}.concurrency.${cls} must be a positive integer or null (no separate cap)`,
        );
      }
    }
  });
  for (const id of PLAN_IDS) {
    if (!seen.has(id)) problems.push(`plans must define ${id}`);
  }
  return list as PlanDefinition[];
}

/** Which class each formula prices, and whether it is a vendor's. */
const FORMULA_RULES: Record<
  CostFormulaKind,
  { classes: readonly ModelClass[]; vendor: boolean; numbers: string[] }
> = {
  image_benchmark: {
    classes: ['image'],
    vendor: false,
    numbers: ['defaultSpark', 'minEdge', 'maxEdge', 'sizeMultiple', 'maxSteps', 'maxCount'],
  },
  openai_image_tokens: {
    classes: ['image'],
    vendor: true,
    numbers: [
      'tokenAreaOffsetPixels',
      'tokenAreaScaleDenominator',
      'referenceImageTokens',
      'referenceTextBufferTokens',
      'maxReferences',
      'maxCount',
    ],
  },
  video_benchmark: {
    classes: ['video'],
    vendor: false,
    numbers: [
      'defaultSpark',
      'minEdge',
      'maxEdge',
      'sizeMultiple',
      'maxSteps',
      'maxFrames',
      'maxFps',
    ],
  },
  vendor_video_tokens: {
    classes: ['video'],
    vendor: true,
    numbers: [
      'fps',
      'pixelsPerToken',
      'minDurationSeconds',
      'maxDurationSeconds',
      'maxImageReferences',
      'maxVideoReferences',
      'maxTotalReferences',
    ],
  },
  vendor_video_per_second: {
    classes: ['video'],
    vendor: true,
    numbers: ['minDurationSeconds', 'maxDurationSeconds', 'maxImageReferences'],
  },
  audio_duration_steps: {
    classes: ['audio'],
    vendor: false,
    numbers: [
      'sparkPerSecond',
      'sparkPerSecondPerStep',
      'minDurationSeconds',
      'maxDurationSeconds',
      'maxSteps',
      'maxCount',
    ],
  },
  llm_tokens: {
    classes: ['llm', 'agent'],
    vendor: false,
    numbers: [
      'usdPerMillionInputTokens',
      'usdPerMillionOutputTokens',
      'maxInputTokens',
      'maxOutputTokens',
    ],
  },
};

function parseModels(raw: unknown, problems: string[]): ModelDefinition[] {
  const list = arrayAt(raw, 'models', 'models', problems);
  if (list.length === 0 && Array.isArray(isObject(raw) ? raw.models : undefined)) {
    problems.push('models must not be empty');
  }
  const seen = new Set<string>();
  list.forEach((model, i) => {
    if (!isObject(model)) {
      problems.push(`models[${i}] must be an object`);
      return;
    }
    const at = `models[${i}]${typeof model.id === 'string' ? ` (${model.id})` : ''}`;
    const before = problems.length;
    if (typeof model.id !== 'string' || !KEBAB_ID.test(model.id)) {
      problems.push(`${at}.id must be a kebab-case string`);
    } else if (seen.has(model.id)) {
      problems.push(`${at}.id is listed twice`);
    } else {
      seen.add(model.id);
    }
    if (!nonEmptyString(model.name)) problems.push(`${at}.name must be a non-empty string`);
    if (!MODEL_CLASSES.includes(model.class as ModelClass)) {
      problems.push(`${at}.class must be one of ${MODEL_CLASSES.join(', ')}`);
    }
    if (typeof model.vendor !== 'boolean') problems.push(`${at}.vendor must be true or false`);
    if (model.vendor === true && !nonEmptyString(model.vendorName)) {
      problems.push(`${at}.vendorName must name the vendor of a vendor model`);
    }
    if (model.vendor === false && model.vendorName !== null) {
      problems.push(`${at}.vendorName must be null for an open model`);
    }
    if (typeof model.relaxed !== 'boolean') problems.push(`${at}.relaxed must be true or false`);
    // Seed 000: video, audio, LLM and external vendor models are fast-only.
    if (model.relaxed === true && (model.vendor === true || model.class !== 'image')) {
      problems.push(`${at}.relaxed is only offered for open image models`);
    }
    if (!MODEL_ACCESS.includes(model.access as never)) {
      problems.push(`${at}.access must be one of ${MODEL_ACCESS.join(', ')}`);
    }
    if (!isObject(model.defaults)) problems.push(`${at}.defaults must be an object`);
    const pricing = model.pricing;
    if (
      !isObject(pricing) ||
      (pricing.source !== 'seed' && pricing.source !== 'estimate') ||
      !nonEmptyString(pricing.note)
    ) {
      problems.push(`${at}.pricing must be { source: "seed" | "estimate", note: string }`);
    }
    checkFormula(model, at, problems);

    // The default job must itself be a valid job with a positive price.
    if (problems.length === before) {
      try {
        const { spark } = estimateSpark(model as unknown as ModelDefinition);
        if (!(spark > 0)) problems.push(`${at}: the default job must cost more than 0 Spark`);
      } catch (e) {
        const reason = e instanceof JobParameterError ? e.message : String(e);
        problems.push(`${at}: the default job is not valid: ${reason}`);
      }
    }
  });
  return list as ModelDefinition[];
}

function checkFormula(model: Json, at: string, problems: string[]): void {
  const formula = model.formula;
  if (!isObject(formula) || !Object.hasOwn(FORMULA_RULES, formula.kind as string)) {
    problems.push(`${at}.formula.kind must be one of ${Object.keys(FORMULA_RULES).join(', ')}`);
    return;
  }
  const kind = formula.kind as CostFormulaKind;
  const rule = FORMULA_RULES[kind];
  if (!rule.classes.includes(model.class as ModelClass)) {
    problems.push(
      `${at}.formula.kind ${kind} prices ${rule.classes.join('/')} models, not ${String(model.class)}`,
    );
  }
  if (model.vendor !== rule.vendor) {
    problems.push(`${at}.vendor must be ${rule.vendor} for formula ${kind}`);
  }
  for (const key of rule.numbers) {
    const value = formula[key];
    const ok =
      key.startsWith('max') && key.endsWith('References') ? nonNegative(value) : positive(value);
    if (!ok)
      problems.push(
        `${at}.formula.${key} must be a ${key.endsWith('References') ? 'non-negative' : 'positive'} number`,
      );
  }
  switch (kind) {
    case 'image_benchmark':
      if (!nonNegative(formula.referenceCostFraction)) {
        problems.push(`${at}.formula.referenceCostFraction must be a non-negative number`);
      }
      if (!nonNegative(formula.maxReferences))
        problems.push(`${at}.formula.maxReferences must be a non-negative number`);
      break;
    case 'openai_image_tokens': {
      const rates = isObject(formula.usdPerMillionTokens) ? formula.usdPerMillionTokens : {};
      for (const key of ['imageOutput', 'imageInput', 'cachedImageInput', 'textInput']) {
        if (!positive(rates[key]))
          problems.push(`${at}.formula.usdPerMillionTokens.${key} must be a positive number`);
      }
      const factors = isObject(formula.qualityAxisFactors) ? formula.qualityAxisFactors : {};
      for (const q of ['low', 'medium', 'high']) {
        if (!positiveInt(factors[q]))
          problems.push(`${at}.formula.qualityAxisFactors.${q} must be a positive integer`);
      }
      if (!['low', 'medium', 'high'].includes(formula.autoQualityBilledAs as string)) {
        problems.push(`${at}.formula.autoQualityBilledAs must be low, medium or high`);
      }
      if (!nonNegative(formula.margin))
        problems.push(`${at}.formula.margin must be a non-negative number`);
      const size = isObject(formula.size) ? formula.size : {};
      for (const key of ['stepPx', 'minPixels', 'maxPixels', 'maxEdge', 'maxAspectRatio']) {
        if (!positive(size[key]))
          problems.push(`${at}.formula.size.${key} must be a positive number`);
      }
      break;
    }
    case 'video_benchmark':
      checkResolutions(formula, at, problems, ['width', 'height']);
      if (!nonNegative(formula.frameOffset))
        problems.push(`${at}.formula.frameOffset must be a non-negative number`);
      if (!nonNegative(formula.maxReferences))
        problems.push(`${at}.formula.maxReferences must be a non-negative number`);
      break;
    case 'vendor_video_tokens':
      checkResolutions(formula, at, problems, [
        'width',
        'height',
        'usdPerMillionTokens',
        'videoInputUsdPerMillionTokens',
      ]);
      if (!nonNegative(formula.margin))
        problems.push(`${at}.formula.margin must be a non-negative number`);
      break;
    case 'vendor_video_per_second':
      checkResolutions(formula, at, problems, ['usdPerSecond']);
      if (!nonNegative(formula.margin))
        problems.push(`${at}.formula.margin must be a non-negative number`);
      break;
    case 'audio_duration_steps':
    case 'llm_tokens':
      break;
    default: {
      const unhandled: never = kind;
      throw new Error(`Unhandled formula kind ${String(unhandled)}`);
    }
  }
}

function checkResolutions(formula: Json, at: string, problems: string[], fields: string[]): void {
  const resolutions = formula.resolutions;
  if (!isObject(resolutions) || Object.keys(resolutions).length === 0) {
    problems.push(`${at}.formula.resolutions must map at least one resolution`);
    return;
  }
  for (const [name, entry] of Object.entries(resolutions)) {
    for (const field of fields) {
      if (!isObject(entry) || !positive(entry[field])) {
        problems.push(`${at}.formula.resolutions.${name}.${field} must be a positive number`);
      }
    }
  }
}

const PRODUCT_KEYS: Record<(typeof STORES)[number], readonly string[]> = {
  stripe: ['lookupKey'],
  apple: ['productId'],
  google: ['productId', 'basePlanId'],
};

function parseProductMap(raw: unknown, problems: string[]): ProductMap {
  if (!isObject(raw)) {
    problems.push('product map must be an object with stripe, apple and google lists');
    return { stripe: [], apple: [], google: [] };
  }
  for (const key of Object.keys(raw)) {
    if (!STORES.includes(key as never))
      problems.push(`product map has an unknown store ${JSON.stringify(key)}`);
  }
  for (const store of STORES) {
    const entries = arrayAt(raw, store, `product map ${store}`, problems);
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      const at = `product map ${store}[${i}]`;
      if (!isObject(entry)) {
        problems.push(`${at} must be an object`);
        return;
      }
      const keyFields = PRODUCT_KEYS[store];
      for (const field of keyFields) {
        if (!nonEmptyString(entry[field]))
          problems.push(`${at}.${field} must be a non-empty string`);
      }
      const key = keyFields.map((f) => String(entry[f])).join('/');
      if (seen.has(key)) problems.push(`${at} maps ${key} a second time`);
      seen.add(key);
      if (!PLAN_IDS.includes(entry.plan as never))
        problems.push(`${at}.plan must be one of ${PLAN_IDS.join(', ')}`);
      if (!BILLING_INTERVALS.includes(entry.interval as never)) {
        problems.push(`${at}.interval must be one of ${BILLING_INTERVALS.join(', ')}`);
      }
    });
  }
  return raw as unknown as ProductMap;
}
