import { Inject, Injectable } from '@nestjs/common';
import { Catalog } from '../catalog/catalog';
import { catalogError, CatalogErrorCode } from '../catalog/catalog-errors';
import type { ModelDefinition } from '../catalog/catalog.types';
import { JobParameterError } from '../catalog/spark-estimator';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { CoverageCountersCache } from './coverage-counters-cache';
import { coveragePolicyFrom } from './coverage-policy.provider';
import type { CoverageOutcome } from './coverage.types';
import {
  decideCoverage,
  type CoverageDecision,
  type CoverageInput,
  type CoveragePolicy,
} from './domain';
import { jobParameters, type CoverageRequestDto } from './dto/job-request.dto';
import { toDecisionBody, type CoverageDecisionDto } from './dto/coverage-decision.dto';
import { EntitlementCache } from './entitlement-cache';

/**
 * `POST /v1/coverage`: the decision only; no slot is taken. The entitlement and the counters come
 * from the per-instance caches (read in parallel on a miss); admission stays the authority.
 */
@Injectable()
export class CoverageService {
  private readonly policy: CoveragePolicy;
  private readonly decisions;

  constructor(
    private readonly catalog: Catalog,
    private readonly entitlements: EntitlementCache,
    private readonly counters: CoverageCountersCache,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.policy = coveragePolicyFrom(config);
    this.decisions = metrics.counter(
      'coverage_decisions_total',
      'Coverage answers by endpoint and reason',
      ['endpoint', 'reason'],
    );
  }

  async check(dto: CoverageRequestDto): Promise<CoverageOutcome<CoverageDecisionDto>> {
    const now = this.clock.now();
    const model = requireModel(this.catalog, dto.modelId);
    const [entitlement, counters] = await Promise.all([
      this.entitlements.get(dto.accountId, now),
      this.counters.get(dto.accountId, now),
    ]);
    const decision = decide({
      entitlement,
      model,
      params: jobParameters(dto),
      channel: dto.channel ?? 'app',
      targetWorkerId: dto.targetWorkerId ?? null,
      usage: counters.usage,
      running: counters.running,
      catalog: this.catalog,
      policy: this.policy,
      now,
    });
    this.decisions.inc({ endpoint: 'coverage', reason: decision.reason });
    return { status: 200, body: toDecisionBody(decision) };
  }
}

/** The catalog model, or `unknown_model` (422): an unknown id is an error, never covered. */
export function requireModel(catalog: Catalog, modelId: string): ModelDefinition {
  const model = catalog.getModel(modelId);
  if (model === undefined) {
    throw catalogError(
      CatalogErrorCode.UnknownModel,
      `Unknown model ${JSON.stringify(modelId.slice(0, 100))}: it is not in the catalog.`,
    );
  }
  return model;
}

/** The pure decision, with a bad job parameter turned into the catalog's 400. */
export function decide(input: CoverageInput): CoverageDecision {
  try {
    return decideCoverage(input);
  } catch (e) {
    if (e instanceof JobParameterError) {
      throw catalogError(CatalogErrorCode.InvalidJobParameter, e.message);
    }
    throw e;
  }
}
