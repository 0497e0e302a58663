import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ACCOUNT_ID_PATTERN } from '../account-id';

export class AccountParamsDto {
  @ApiProperty({ example: 'acct_123', pattern: ACCOUNT_ID_PATTERN.source })
  @Matches(ACCOUNT_ID_PATTERN, {
    message: 'accountId must be 1 to 64 letters, digits, underscores or hyphens',
  })
  accountId!: string;
}

export class HistoryQueryDto {
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

export class SuspensionBodyDto {
  @ApiProperty({ example: 'Chargeback under review', maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason!: string;
}
