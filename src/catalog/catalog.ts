/**
 * Pure lookups over validated catalog data (see `catalog.loader.ts`): models, plans and the store
 * product map. Coverage is a rule over the model data (`!vendor`), never a list of ids.
 */
import type {
  BillingInterval,
  CatalogData,
  ModelClass,
  ModelDefinition,
  PlanDefinition,
  PlanId,
  ProductGrant,
  Store,
} from './catalog.types';

export class Catalog {
  private readonly modelsById: ReadonlyMap<string, ModelDefinition>;
  private readonly plansById: ReadonlyMap<PlanId, PlanDefinition>;
  private readonly products: ReadonlyMap<string, ProductGrant>;

  constructor(private readonly data: CatalogData) {
    this.modelsById = new Map(data.models.map((m) => [m.id, m]));
    this.plansById = new Map(data.plans.map((p) => [p.id, p]));
    const products = new Map<string, ProductGrant>();
    for (const e of data.productMap.stripe)
      products.set(productKey('stripe', e.lookupKey), grant(e));
    for (const e of data.productMap.apple) products.set(productKey('apple', e.productId), grant(e));
    for (const e of data.productMap.google) {
      products.set(productKey('google', e.productId, e.basePlanId), grant(e));
    }
    this.products = products;
  }

  /** The model with this id, or undefined for an unknown id (the caller answers `unknown_model`). */
  getModel(id: string): ModelDefinition | undefined {
    return this.modelsById.get(id);
  }

  /** Every model, in catalog order. */
  listModels(): readonly ModelDefinition[] {
    return this.data.models;
  }

  /**
   * Whether a subscription covers jobs on this model: a model of this catalog that is not a
   * third-party vendor model. A model object from elsewhere (not in the catalog) is never covered.
   */
  isCovered(model: ModelDefinition): boolean {
    return this.modelsById.get(model.id) === model && !model.vendor;
  }

  /** `isCovered` by id; an unknown id is not covered. */
  isCoveredId(id: string): boolean {
    const model = this.getModel(id);
    return model !== undefined && this.isCovered(model);
  }

  /** The plan's definition (prices, concurrency per class; `null` = no separate cap). */
  plan(id: PlanId): PlanDefinition {
    const plan = this.plansById.get(id);
    // The loader guarantees every PlanId is defined; reaching this is a programming error.
    if (plan === undefined) throw new Error(`Unknown plan ${id}`);
    return plan;
  }

  listPlans(): readonly PlanDefinition[] {
    return this.data.plans;
  }

  /** Parallel jobs of `modelClass` the plan allows, or null when the class has no separate cap. */
  concurrencyLimit(planId: PlanId, modelClass: ModelClass): number | null {
    return this.plan(planId).concurrency[modelClass];
  }

  /**
   * What a store product grants, or null for an unknown product (it grants nothing).
   * Stripe: the price `lookup_key`; Apple: the `productId`; Google: `productId` and `basePlanId`
   * (both required: one Google product carries several base plans).
   */
  product(store: Store, productId: string, basePlanId?: string): ProductGrant | null {
    if (store === 'google' && basePlanId === undefined) return null;
    const found = this.products.get(
      productKey(store, productId, store === 'google' ? basePlanId : undefined),
    );
    return found === undefined ? null : { ...found };
  }
}

function grant(entry: { plan: PlanId; interval: BillingInterval }): ProductGrant {
  return { plan: entry.plan, interval: entry.interval };
}

function productKey(store: Store, productId: string, basePlanId?: string): string {
  return JSON.stringify([store, productId, basePlanId ?? null]);
}
