import { Injectable } from '@nestjs/common';
import { Catalog } from './catalog';
import { catalogError, CatalogErrorCode } from './catalog-errors';
import type { JobParameters, ModelDefinition } from './catalog.types';
import { estimateSpark, JobParameterError, type SparkEstimate } from './spark-estimator';

/**
 * The Spark estimator for Nest code: `estimateSpark` with the service's error codes. A bad
 * parameter becomes `invalid_job_parameter` (400, naming it), an unknown model `unknown_model`
 * (422). Pure code can call `estimateSpark` directly and handle `JobParameterError` itself.
 */
@Injectable()
export class SparkEstimator {
  constructor(private readonly catalog: Catalog) {}

  /** Estimate for a catalog model. */
  estimate(model: ModelDefinition, params: JobParameters = {}): SparkEstimate {
    try {
      return estimateSpark(model, params);
    } catch (e) {
      if (e instanceof JobParameterError) {
        throw catalogError(CatalogErrorCode.InvalidJobParameter, e.message);
      }
      throw e;
    }
  }

  /** Estimate by model id; an unknown id is `unknown_model`. */
  estimateById(modelId: string, params: JobParameters = {}): SparkEstimate {
    return this.estimate(this.requireModel(modelId), params);
  }

  /** The Spark of the model's default job (fast). */
  defaultSpark(model: ModelDefinition): number {
    return this.estimate(model).spark;
  }

  private requireModel(modelId: string): ModelDefinition {
    const model = this.catalog.getModel(modelId);
    if (model === undefined) {
      throw catalogError(
        CatalogErrorCode.UnknownModel,
        `Unknown model ${JSON.stringify(modelId.slice(0, 100))}: it is not in the catalog.`,
      );
    }
    return model;
  }
}
