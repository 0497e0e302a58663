import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { STORES, type Store } from '../../entitlements/domain';
import type { InboxStatus } from '../inbox.types';

export const INBOX_STATUSES: readonly InboxStatus[] = [
  'pending',
  'processing',
  'processed',
  'ignored',
  'failed',
];

export class InboxListQueryDto {
  @ApiPropertyOptional({ enum: INBOX_STATUSES, description: 'Only events in this status.' })
  @IsOptional()
  @IsIn(INBOX_STATUSES)
  status?: InboxStatus;

  @ApiPropertyOptional({ enum: STORES })
  @IsOptional()
  @IsIn(STORES)
  store?: Store;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextBefore` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  before?: string;
}

export class InboxEventParamsDto {
  @IsUUID()
  id!: string;
}
