import { Injectable } from '@nestjs/common';
import { Catalog } from './catalog';
import type { EstimateRequestDto } from './dto/estimate-request.dto';
import type { EstimateResponseDto } from './dto/estimate-response.dto';
import type { ModelsResponseDto } from './dto/catalog-listing.dto';
import { SparkEstimator } from './spark-estimator.service';

/** The catalog's HTTP use cases: the public listing and one estimate. */
@Injectable()
export class CatalogService {
  /** The catalog does not change after boot: the listing is built once. */
  private readonly listingView: ModelsResponseDto;

  constructor(
    private readonly catalog: Catalog,
    private readonly estimator: SparkEstimator,
  ) {
    this.listingView = {
      models: catalog.listModels().map((model) => ({
        id: model.id,
        name: model.name,
        class: model.class,
        vendor: model.vendor,
        covered: catalog.isCovered(model),
        relaxedAvailable: model.relaxed,
        defaultSpark: estimator.defaultSpark(model),
        priceSource: model.pricing.source,
      })),
      plans: catalog.listPlans().map((plan) => ({
        id: plan.id,
        name: plan.name,
        prices: {
          month: { ...plan.prices.month },
          year: { ...plan.prices.year },
        },
        concurrency: { ...plan.concurrency },
      })),
    };
  }

  listing(): ModelsResponseDto {
    return this.listingView;
  }

  estimate(request: EstimateRequestDto): EstimateResponseDto {
    const { modelId, ...params } = request;
    const { spark, usd } = this.estimator.estimateById(modelId, params);
    return { modelId, spark, usd };
  }
}
