import { ApiProperty } from '@nestjs/swagger';
import { MODEL_CLASSES, type ModelClass } from '../catalog.types';

export class ModelSummaryDto {
  @ApiProperty({ example: 'sdxl-1024' })
  id!: string;

  @ApiProperty({ example: 'SDXL 1024 (community checkpoints)' })
  name!: string;

  @ApiProperty({ enum: MODEL_CLASSES })
  class!: ModelClass;

  @ApiProperty({ description: 'A third-party vendor API model (never covered).' })
  vendor!: boolean;

  @ApiProperty({ description: 'Covered by both subscription plans.' })
  covered!: boolean;

  @ApiProperty({ description: 'The relaxed network (0.5x Spark) is offered.' })
  relaxedAvailable!: boolean;

  @ApiProperty({ example: 1, description: 'Spark of the default job at fast speed.' })
  defaultSpark!: number;

  @ApiProperty({
    enum: ['seed', 'estimate'],
    description: 'A seed price figure, or a documented estimate where the seeds give none.',
  })
  priceSource!: 'seed' | 'estimate';
}

class PlanPriceDto {
  @ApiProperty({ example: 2000 })
  amountCents!: number;

  @ApiProperty({ example: 'usd' })
  currency!: 'usd';
}

class PlanPricesDto {
  @ApiProperty({ type: PlanPriceDto })
  month!: PlanPriceDto;

  @ApiProperty({ type: PlanPriceDto })
  year!: PlanPriceDto;
}

export class PlanSummaryDto {
  @ApiProperty({ enum: ['unlimited', 'unlimited_pro'] })
  id!: 'unlimited' | 'unlimited_pro';

  @ApiProperty({ example: 'Unlimited' })
  name!: string;

  @ApiProperty({ type: PlanPricesDto })
  prices!: PlanPricesDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', nullable: true },
    example: { image: 4, video: 1, audio: null, llm: null, agent: null },
    description: 'Parallel jobs per class; null = no separate cap (fair use only).',
  })
  concurrency!: Record<ModelClass, number | null>;
}

export class ModelsResponseDto {
  @ApiProperty({ type: [ModelSummaryDto] })
  models!: ModelSummaryDto[];

  @ApiProperty({ type: [PlanSummaryDto] })
  plans!: PlanSummaryDto[];
}
