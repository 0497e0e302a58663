import { Inject, Injectable } from '@nestjs/common';
import { Catalog } from '../catalog/catalog';
import { catalogError, CatalogErrorCode } from '../catalog/catalog-errors';
import type { JobParameters, ModelDefinition } from '../catalog/catalog.types';
import { estimateSpark, JobParameterError } from '../catalog/spark-estimator';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { AccountEntitlement } from '../entitlements/domain';
import { MetricsService, type Tally } from '../metrics/metrics.service';
import { CoverageCheckReader } from './coverage-check-reader';
import type { CoverageCounters } from './coverage-counters';
import { CoverageCountersCache } from './coverage-counters-cache';
import { coveragePolicyFrom } from './coverage-policy.provider';
import type { CoverageOutcome } from './coverage.types';
import {
  COVERAGE_REASONS,
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
 * from the per-instance caches; when both miss they are read together in one statement (and
 * offered to both caches: `CoverageCheckReader`), when one misses it alone is read. Entries
 * still asked about near the end of their TTL are read again in the background
 * (`CoverageRefresher`). Admission stays the authority.
 */
@Injectable()
export class CoverageService {
  private readonly policy: CoveragePolicy;
  private readonly decisions;

  constructor(
    private readonly catalog: Catalog,
    private readonly entitlements: EntitlementCache,
    private readonly counters: CoverageCountersCache,
    private readonly reader: CoverageCheckReader,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.policy = coveragePolicyFrom(config);
    this.decisions = decisionTallies(metrics, 'coverage', COVERAGE_REASONS);
  }

  /**
   * The decision for `dto` now. Answered synchronously when both caches hold the account (nearly
   * every check): no promise and no microtask on the gateway's hottest path. A miss returns a
   * promise of the same answer.
   */
  check(
    dto: CoverageRequestDto,
  ): CoverageOutcome<CoverageDecisionDto> | Promise<CoverageOutcome<CoverageDecisionDto>> {
    const now = this.clock.now();
    const model = requireModel(this.catalog, dto.modelId);
    const cachedEntitlement = this.entitlements.peek(dto.accountId, now);
    const cachedCounters = this.counters.peek(dto.accountId, now);
    if (cachedEntitlement !== undefined && cachedCounters !== undefined) {
      return this.answer(dto, model, cachedEntitlement, cachedCounters, now);
    }
    return this.read(dto.accountId, now, cachedEntitlement, cachedCounters).then(
      ({ entitlement, counters }) => this.answer(dto, model, entitlement, counters, now),
    );
  }

  private answer(
    dto: CoverageRequestDto,
    model: ModelDefinition,
    entitlement: AccountEntitlement,
    counters: CoverageCounters,
    now: Date,
  ): CoverageOutcome<CoverageDecisionDto> {
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
    this.decisions[decision.reason].inc();
    return { status: 200, body: toDecisionBody(decision) };
  }

  /** What the caches missed: both in one statement, else the one missing. */
  private async read(
    accountId: string,
    now: Date,
    entitlement: AccountEntitlement | undefined,
    counters: CoverageCounters | undefined,
  ): Promise<{ entitlement: AccountEntitlement; counters: CoverageCounters }> {
    if (entitlement === undefined && counters === undefined && this.reader.readsRows) {
      return this.reader.readOne(accountId, now);
    }
    const [e, c] = await Promise.all([
      entitlement ?? this.entitlements.fetch(accountId, now),
      counters ?? this.counters.fetch(accountId, now),
    ]);
    return { entitlement: e, counters: c };
  }
}

/** `coverage_decisions_total` of one endpoint: a tally per answer reason. */
export function decisionTallies<R extends string>(
  metrics: MetricsService,
  endpoint: 'coverage' | 'jobs',
  reasons: readonly R[],
): Record<R, Tally<'endpoint' | 'reason'>> {
  const counter = metrics.counter(
    'coverage_decisions_total',
    'Coverage answers by endpoint and reason',
    ['endpoint', 'reason'],
  );
  return metrics.tallyEach(counter, 'reason', reasons, { endpoint });
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
  // A plain try (no closure): this runs for every coverage answer.
  try {
    return decideCoverage(input);
  } catch (e) {
    throw asParameterError(e);
  }
}

/**
 * Throws the catalog's 400 when the job's parameters do not fit the model: the check the decision
 * makes first (its estimate), made on its own before any lock is taken.
 */
export function checkJobParameters(model: ModelDefinition, params: JobParameters): void {
  try {
    estimateSpark(model, params);
  } catch (e) {
    throw asParameterError(e);
  }
}

/** The estimator's refusal of a parameter as the catalog's 400; anything else as it is. */
function asParameterError(e: unknown): unknown {
  return e instanceof JobParameterError
    ? catalogError(CatalogErrorCode.InvalidJobParameter, e.message)
    : e;
}
