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

/** The job parameters of a request (everything the estimator reads). */
export function jobParameters(dto: EstimateRequestDto): JobParameters {
  const params: JobParameters = {
    speed: dto.speed,
    width: dto.width,
    height: dto.height,
    steps: dto.steps,
    count: dto.count,
    durationSeconds: dto.durationSeconds,
    frames: dto.frames,
    fps: dto.fps,
    resolution: dto.resolution,
    references: dto.references,
    videoReference: dto.videoReference,
    quality: dto.quality,
    inputTokens: dto.inputTokens,
    outputTokens: dto.outputTokens,
  };
  for (const key of Object.keys(params) as (keyof JobParameters)[]) {
    if (params[key] === undefined) delete params[key];
  }
  return params;
}
