import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STORES } from '../../entitlements/domain';
import { INBOX_STATUSES } from './inbox-admin.dto';

/** OpenAPI shapes of the inbox admin routes (never the raw payload). */
export class InboxEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: STORES })
  store!: string;

  @ApiProperty()
  storeEventId!: string;

  @ApiProperty()
  eventType!: string;

  @ApiProperty({ enum: INBOX_STATUSES })
  status!: string;

  @ApiProperty()
  attempts!: number;

  @ApiPropertyOptional({ nullable: true })
  lastError!: string | null;

  @ApiPropertyOptional({ nullable: true })
  outcomeNote!: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  occurredAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  receivedAt!: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  nextAttemptAt!: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  processedAt!: string | null;
}

export class InboxPageDto {
  @ApiProperty({ type: [InboxEventDto] })
  events!: InboxEventDto[];

  @ApiPropertyOptional({ nullable: true, description: 'Pass as `before` for the next page.' })
  nextBefore!: string | null;
}
