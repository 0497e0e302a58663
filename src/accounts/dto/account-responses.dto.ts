import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI shapes of the account routes (the services return the matching plain types). */

export class StoreIdsDto {
  @ApiProperty({ format: 'uuid', description: 'Pass as `appAccountToken` to StoreKit.' })
  appleAppAccountToken!: string;

  @ApiProperty({ maxLength: 64, description: 'Pass as `obfuscatedAccountId` to Play Billing.' })
  googleObfuscatedAccountId!: string;
}

export class ManageLinkDto {
  @ApiProperty({ enum: ['stripe_portal', 'app_store', 'google_play'] })
  kind!: string;

  @ApiProperty({
    description:
      'App Store / Google Play: the store page. Stripe: the route that makes a portal link (POST).',
  })
  url!: string;

  @ApiProperty({ description: 'The store owns the subscription: the dashboard can only link out.' })
  readOnly!: boolean;
}

export class PendingChangeDto {
  @ApiProperty({ enum: ['unlimited', 'unlimited_pro'] })
  plan!: string;

  @ApiProperty({ enum: ['month', 'year'] })
  interval!: string;

  @ApiProperty({ format: 'date-time' })
  effectiveAt!: string;
}

export class LimitsDto {
  @ApiProperty({ example: 4 })
  image!: number;

  @ApiProperty({ example: 1 })
  video!: number;
}

export class UsageTodayDto {
  @ApiProperty()
  completedJobs!: number;

  @ApiProperty({ description: 'Render-Spark of completed covered jobs today (fair use).' })
  renderSpark!: number;

  @ApiProperty({ format: 'date-time', description: 'Next 00:00 UTC.' })
  resetsAt!: string;
}

export class SubscriptionStatusDto {
  @ApiProperty({ enum: ['stripe', 'apple', 'google'] })
  store!: string;

  @ApiProperty()
  storeSubscriptionId!: string;

  @ApiProperty({
    enum: ['trial', 'active', 'past_due', 'paused', 'expired', 'revoked', 'incomplete'],
  })
  state!: string;

  @ApiProperty()
  covered!: boolean;

  @ApiPropertyOptional({
    enum: ['sandbox', 'unknown_product', 'superseded'],
    nullable: true,
    description: 'Why it does not count for the account.',
  })
  excluded!: string | null;

  @ApiProperty({ description: 'The subscription the account status comes from.' })
  primary!: boolean;

  @ApiPropertyOptional({ enum: ['unlimited', 'unlimited_pro'], nullable: true })
  plan!: string | null;

  @ApiPropertyOptional({ enum: ['month', 'year'], nullable: true })
  interval!: string | null;

  @ApiProperty()
  productId!: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  trialEndsAt!: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  currentPeriodEnd!: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  paidThrough!: string | null;

  @ApiProperty()
  cancelAtPeriodEnd!: boolean;

  @ApiPropertyOptional({ type: PendingChangeDto, nullable: true })
  pendingChange!: PendingChangeDto | null;

  @ApiProperty()
  sandbox!: boolean;

  @ApiProperty({ type: ManageLinkDto })
  manage!: ManageLinkDto;
}

export class EntitlementDto {
  @ApiProperty()
  accountId!: string;

  @ApiProperty({ description: 'Covered-model access now.' })
  covered!: boolean;

  @ApiPropertyOptional({
    enum: [
      'no_subscription',
      'expired',
      'revoked',
      'past_due',
      'paused',
      'incomplete',
      'suspended',
    ],
    nullable: true,
  })
  reason!: string | null;

  @ApiPropertyOptional({ enum: ['unlimited', 'unlimited_pro'], nullable: true })
  plan!: string | null;

  @ApiPropertyOptional({ enum: ['month', 'year'], nullable: true })
  interval!: string | null;

  @ApiProperty({
    enum: [
      'trial',
      'active',
      'past_due',
      'paused',
      'expired',
      'revoked',
      'incomplete',
      'no_subscription',
      'suspended',
    ],
  })
  state!: string;

  @ApiPropertyOptional({ enum: ['stripe', 'apple', 'google'], nullable: true })
  provider!: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  trialEndsAt!: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  currentPeriodEnd!: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  paidThrough!: string | null;

  @ApiProperty()
  cancelAtPeriodEnd!: boolean;

  @ApiPropertyOptional({ type: PendingChangeDto, nullable: true })
  pendingChange!: PendingChangeDto | null;

  @ApiPropertyOptional({ type: ManageLinkDto, nullable: true })
  manage!: ManageLinkDto | null;

  @ApiProperty({ type: LimitsDto })
  limits!: LimitsDto;

  @ApiProperty({ type: UsageTodayDto })
  usageToday!: UsageTodayDto;

  @ApiProperty({ type: [SubscriptionStatusDto] })
  subscriptions!: SubscriptionStatusDto[];

  @ApiProperty({ description: 'More than one live, billed subscription counts for the account.' })
  duplicateBilling!: boolean;
}

export class HistoryEntryDto {
  @ApiProperty()
  id!: string;

  @ApiProperty({
    description:
      'A named transition (trial_started, converted, renewed, ...) or subscription_created, ' +
      'linked, unknown_product, suspended, unsuspended.',
  })
  transition!: string;

  @ApiPropertyOptional({ nullable: true })
  store!: string | null;

  @ApiPropertyOptional({ nullable: true })
  storeSubscriptionId!: string | null;

  @ApiPropertyOptional({ nullable: true })
  fromState!: string | null;

  @ApiPropertyOptional({ nullable: true })
  toState!: string | null;

  @ApiPropertyOptional({ nullable: true })
  fromPlan!: string | null;

  @ApiPropertyOptional({ nullable: true })
  toPlan!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  details!: Record<string, unknown>;

  @ApiPropertyOptional({ nullable: true, format: 'uuid' })
  inboxEventId!: string | null;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;
}

export class HistoryPageDto {
  @ApiProperty({ type: [HistoryEntryDto] })
  entries!: HistoryEntryDto[];

  @ApiPropertyOptional({ nullable: true, description: 'Pass as `before` for the next page.' })
  nextBefore!: string | null;
}

export class SuspensionDto {
  @ApiProperty({ format: 'date-time' })
  suspendedAt!: string;

  @ApiPropertyOptional({ nullable: true })
  reason!: string | null;

  @ApiPropertyOptional({ nullable: true, enum: ['operator', 'chargeback', 'abuse'] })
  source!: string | null;
}

export class AccountStandingDto {
  @ApiProperty()
  accountId!: string;

  @ApiProperty()
  suspended!: boolean;

  @ApiPropertyOptional({ type: SuspensionDto, nullable: true })
  suspension!: SuspensionDto | null;
}
