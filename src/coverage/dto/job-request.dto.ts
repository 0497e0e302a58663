import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ACCOUNT_ID_PATTERN } from '../../accounts/account-id';
import { EstimateRequestDto } from '../../catalog/dto/estimate-request.dto';
import type { JobParameters } from '../../catalog/catalog.types';
import { CHANNELS, type Channel } from '../domain';

const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** `POST /v1/coverage`: the job parameters of SPEC §8 with the account, channel and target. */
export class CoverageRequestDto extends EstimateRequestDto {
  @ApiProperty({ example: 'acct_123', pattern: ACCOUNT_ID_PATTERN.source })
  @IsString()
  @Matches(ACCOUNT_ID_PATTERN, { message: 'accountId must be 1 to 64 letters, digits, _ or -' })
  accountId!: string;

  @ApiPropertyOptional({ enum: CHANNELS, default: 'app' })
  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;

  @ApiPropertyOptional({
    example: 'worker-42',
    description: 'A worker the job should run on: subscription jobs cannot target workers.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  targetWorkerId?: string;
}

/** `POST /v1/jobs`: a coverage request with the gateway's job id (the idempotency key). */
export class JobRequestDto extends CoverageRequestDto {
  @ApiProperty({ example: 'job_01HZX3', description: 'Unique per job; a retry sends the same.' })
  @IsString()
  @MaxLength(128)
  @Matches(ID_PATTERN, { message: 'jobId must use only letters, digits and . _ : -' })
  jobId!: string;
}

/** Every job parameter the estimator reads (the compiler holds the list complete). */
const JOB_PARAMETER_KEYS = Object.keys({
  speed: true,
  width: true,
  height: true,
  steps: true,
  count: true,
  durationSeconds: true,
  frames: true,
  fps: true,
  resolution: true,
  references: true,
  videoReference: true,
  quality: true,
  inputTokens: true,
  outputTokens: true,
} satisfies Record<keyof JobParameters, true>) as (keyof JobParameters)[];

/** The job parameters of a request (everything the estimator reads): the ones it gives. */
export function jobParameters(dto: EstimateRequestDto): JobParameters {
  const params: Record<string, unknown> = {};
  for (const key of JOB_PARAMETER_KEYS) {
    if (dto[key] !== undefined) params[key] = dto[key];
  }
  return params as JobParameters;
}
