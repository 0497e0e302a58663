import { ApiProperty } from '@nestjs/swagger';

export class EstimateResponseDto {
  @ApiProperty({ example: 'sdxl-1024' })
  modelId!: string;

  @ApiProperty({ example: 1, description: 'Spark (1 Spark = $0.005 of render value), 4 decimals.' })
  spark!: number;

  @ApiProperty({ example: 0.005, description: 'USD render value, 6 decimals.' })
  usd!: number;
}
