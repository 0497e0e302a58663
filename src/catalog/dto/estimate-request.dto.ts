import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { SPEEDS, type JobParameters, type Speed } from '../catalog.types';

/** `true`, `false` or a whole number of videos. */
function IsBooleanOrCount(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBooleanOrCount',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'boolean' || (Number.isInteger(value) && (value as number) >= 0),
        defaultMessage: () => '$property must be true, false or a whole number of videos',
      },
    },
    options,
  );
}

/**
 * The job parameters of SPEC §8 (without accountId and jobId). Types are checked here; ranges
 * depend on the model and are checked by the estimator, which names the parameter.
 */
export class EstimateRequestDto implements JobParameters {
  @ApiProperty({ example: 'sdxl-1024', description: 'Catalog model id (see GET /v1/models).' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  modelId!: string;

  @ApiPropertyOptional({ enum: SPEEDS, default: 'fast' })
  @IsOptional()
  @IsIn(SPEEDS)
  speed?: Speed;

  @ApiPropertyOptional({ type: 'integer', example: 1024 })
  @IsOptional()
  @IsInt()
  width?: number;

  @ApiPropertyOptional({ type: 'integer', example: 1024 })
  @IsOptional()
  @IsInt()
  height?: number;

  @ApiPropertyOptional({ type: 'integer', example: 20 })
  @IsOptional()
  @IsInt()
  steps?: number;

  @ApiPropertyOptional({ type: 'integer', example: 1, description: 'Outputs in one job.' })
  @IsOptional()
  @IsInt()
  count?: number;

  @ApiPropertyOptional({ example: 5, description: 'Video or audio length in seconds.' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  durationSeconds?: number;

  @ApiPropertyOptional({ type: 'integer', example: 81 })
  @IsOptional()
  @IsInt()
  frames?: number;

  @ApiPropertyOptional({ type: 'integer', example: 16 })
  @IsOptional()
  @IsInt()
  fps?: number;

  @ApiPropertyOptional({ example: '720p', description: 'Video resolution preset.' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  resolution?: string;

  @ApiPropertyOptional({ type: 'integer', example: 0, description: 'Reference (input) images.' })
  @IsOptional()
  @IsInt()
  references?: number;

  @ApiPropertyOptional({
    oneOf: [{ type: 'boolean' }, { type: 'integer', minimum: 0 }],
    example: false,
    description: 'Video references (true for one, or how many): Seedance video-input path.',
  })
  @IsOptional()
  @IsBooleanOrCount()
  videoReference?: boolean | number;

  @ApiPropertyOptional({
    example: 'medium',
    description: 'GPT Image 2: low, medium, high or auto.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  quality?: string;

  @ApiPropertyOptional({ type: 'integer', example: 10000 })
  @IsOptional()
  @IsInt()
  inputTokens?: number;

  @ApiPropertyOptional({ type: 'integer', example: 2000 })
  @IsOptional()
  @IsInt()
  outputTokens?: number;
}
