import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import {
  BILLING_INTERVALS,
  PLAN_IDS,
  type BillingInterval,
  type PlanId,
} from '../../../entitlements/domain/subscription-snapshot';

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class AccountIdParamDto {
  @ApiProperty({ example: 'acct_123', description: '1 to 64 letters, digits, `_` or `-`.' })
  @Matches(ACCOUNT_ID, { message: 'accountId must be 1 to 64 letters, digits, _ or -' })
  accountId!: string;
}

export class CheckoutSessionRequestDto {
  @ApiProperty({ enum: PLAN_IDS })
  @IsIn(PLAN_IDS)
  plan!: PlanId;

  @ApiProperty({ enum: BILLING_INTERVALS })
  @IsIn(BILLING_INTERVALS)
  interval!: BillingInterval;

  @ApiPropertyOptional({ description: 'The device id the dashboard knows (one trial per person).' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  deviceId?: string;
}

export class CheckoutSessionResponseDto {
  @ApiProperty({ description: 'Where to send the customer (Stripe-hosted Checkout).' })
  url!: string;

  @ApiProperty()
  sessionId!: string;

  @ApiProperty({ description: 'The session starts with a free trial.' })
  trial!: boolean;

  @ApiProperty({ nullable: true, type: Number, example: 3 })
  trialPeriodDays!: number | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why no trial is offered (one trial per person), when none is.',
  })
  trialIneligibleReason!: string | null;
}

export class PortalSessionResponseDto {
  @ApiProperty({ description: 'A single-use Stripe Customer Portal link.' })
  url!: string;
}

export class TrialEligibilityQueryDto {
  @ApiProperty()
  @Matches(ACCOUNT_ID, { message: 'accountId must be 1 to 64 letters, digits, _ or -' })
  accountId!: string;

  @ApiPropertyOptional({ description: 'Payment-method fingerprint (Stripe card fingerprint).' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  paymentFingerprint?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  deviceId?: string;
}

export class TrialEligibilityResponseDto {
  @ApiProperty()
  eligible!: boolean;

  @ApiProperty({
    nullable: true,
    type: String,
    enum: [
      'account_had_trial',
      'payment_method_had_trial',
      'device_had_trial',
      'account_subscribed_before',
    ],
  })
  reason!: string | null;
}
