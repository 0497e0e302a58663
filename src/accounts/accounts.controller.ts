import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../common/auth/require-scopes.decorator';
import type { HistoryPage } from '../entitlements/entitlement.service';
import { AccountStatusService } from './account-status.service';
import { AccountsService, type AccountStandingView } from './accounts.service';
import {
  AccountStandingDto,
  EntitlementDto,
  HistoryPageDto,
  StoreIdsDto,
} from './dto/account-responses.dto';
import { AccountParamsDto, HistoryQueryDto, SuspensionBodyDto } from './dto/account.dto';
import type { EntitlementView } from './entitlement-view';
import { StoreIdsService, type StoreIds } from './store-ids.service';

/** The dashboard's read-only views of an account. Unknown accounts read as "no subscription". */
@ApiTags('accounts')
@ApiBearerAuth()
@RequireScopes('dashboard')
@Controller('v1/accounts')
export class AccountsController {
  constructor(
    private readonly storeIds: StoreIdsService,
    private readonly status: AccountStatusService,
  ) {}

  @Get(':accountId/store-ids')
  @ApiOkResponse({ type: StoreIdsDto })
  @ApiOperation({
    summary: 'The ids to pass to Apple (appAccountToken) and Google (obfuscatedAccountId)',
  })
  storeIdsFor(@Param() params: AccountParamsDto): Promise<StoreIds> {
    return this.storeIds.forAccount(params.accountId);
  }

  @Get(':accountId/entitlement')
  @ApiOkResponse({ type: EntitlementDto })
  @ApiOperation({
    summary: 'Read-only subscription status: plan, state, dates, where to manage it',
  })
  entitlement(@Param() params: AccountParamsDto): Promise<EntitlementView> {
    return this.status.entitlement(params.accountId);
  }

  @Get(':accountId/history')
  @ApiOkResponse({ type: HistoryPageDto })
  @ApiOperation({ summary: 'Subscription transitions and account events, newest first, paged' })
  history(
    @Param() params: AccountParamsDto,
    @Query() query: HistoryQueryDto,
  ): Promise<HistoryPage> {
    return this.status.history(params.accountId, query);
  }
}

/** Operators: suspend an account (never covered) and lift the suspension. */
@ApiTags('admin')
@ApiBearerAuth()
@RequireScopes('admin')
@Controller('v1/admin/accounts')
export class AccountsAdminController {
  constructor(private readonly accounts: AccountsService) {}

  @Post(':accountId/suspend')
  @ApiOkResponse({ type: AccountStandingDto })
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend the account: no covered jobs whatever its subscriptions' })
  suspend(
    @Param() params: AccountParamsDto,
    @Body() body: SuspensionBodyDto,
  ): Promise<AccountStandingView> {
    return this.accounts.suspend(params.accountId, body.reason, 'operator');
  }

  @Post(':accountId/unsuspend')
  @ApiOkResponse({ type: AccountStandingDto })
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift the suspension' })
  unsuspend(
    @Param() params: AccountParamsDto,
    @Body() body: SuspensionBodyDto,
  ): Promise<AccountStandingView> {
    return this.accounts.unsuspend(params.accountId, body.reason, 'operator');
  }
}
