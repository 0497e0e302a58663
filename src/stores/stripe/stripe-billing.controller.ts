import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { TrialsService } from '../../accounts/trials.service';
import { RequireScopes } from '../../common/auth/require-scopes.decorator';
import {
  AccountIdParamDto,
  CheckoutSessionRequestDto,
  CheckoutSessionResponseDto,
  PortalSessionResponseDto,
  TrialEligibilityQueryDto,
  TrialEligibilityResponseDto,
} from './dto/stripe-billing.dto';
import { StripeBillingService } from './stripe-billing.service';

@ApiTags('billing')
@ApiBearerAuth()
@RequireScopes('dashboard')
@Controller('v1/accounts')
export class StripeBillingController {
  constructor(private readonly billing: StripeBillingService) {}

  @Post(':accountId/checkout-session')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Stripe Checkout for a plan (subscription mode; a 3-day trial only if eligible)',
  })
  @ApiOkResponse({ type: CheckoutSessionResponseDto })
  @ApiUnprocessableEntityResponse({ description: 'No active Stripe price for the plan.' })
  @ApiServiceUnavailableResponse({ description: 'STRIPE_SECRET_KEY is not set.' })
  createCheckoutSession(
    @Param() { accountId }: AccountIdParamDto,
    @Body() body: CheckoutSessionRequestDto,
  ): Promise<CheckoutSessionResponseDto> {
    return this.billing.createCheckoutSession(accountId, body);
  }

  @Post(':accountId/portal-session')
  @HttpCode(201)
  @ApiOperation({ summary: 'A Stripe Customer Portal link for the account' })
  @ApiOkResponse({ type: PortalSessionResponseDto })
  @ApiNotFoundResponse({ description: 'The account has no Stripe customer.' })
  @ApiServiceUnavailableResponse({ description: 'STRIPE_SECRET_KEY is not set.' })
  createPortalSession(
    @Param() { accountId }: AccountIdParamDto,
  ): Promise<PortalSessionResponseDto> {
    return this.billing.createPortalSession(accountId);
  }
}

@ApiTags('billing')
@ApiBearerAuth()
@RequireScopes('dashboard', 'gateway')
@Controller('v1/trials')
export class TrialEligibilityController {
  constructor(private readonly trials: TrialsService) {}

  @Get('eligibility')
  @ApiOperation({
    summary: 'One trial per person: may this account (payment method, device) start a trial?',
  })
  @ApiOkResponse({ type: TrialEligibilityResponseDto })
  eligibility(@Query() query: TrialEligibilityQueryDto): Promise<TrialEligibilityResponseDto> {
    return this.trials.eligibility(query);
  }
}
