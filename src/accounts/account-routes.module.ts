import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { AccountStatusService } from './account-status.service';
import { AccountsAdminController, AccountsController } from './accounts.controller';
import { AccountsModule } from './accounts.module';

/**
 * The account routes. Apart from `AccountsModule` because the status needs the entitlements,
 * which themselves need the accounts (trial grants, standing): no module cycle.
 */
@Module({
  imports: [AccountsModule, EntitlementsModule],
  controllers: [AccountsController, AccountsAdminController],
  providers: [AccountStatusService],
})
export class AccountRoutesModule {}
