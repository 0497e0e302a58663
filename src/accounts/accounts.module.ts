import { Module } from '@nestjs/common';
import { AccountsService } from './accounts.service';
import { StoreIdsService } from './store-ids.service';
import { TrialsService } from './trials.service';
import { UsageReaderRegistry } from './usage-reader.registry';

/** Accounts: store ids, standing (suspension), one trial per person, the usage hook. */
@Module({
  providers: [AccountsService, StoreIdsService, TrialsService, UsageReaderRegistry],
  exports: [AccountsService, StoreIdsService, TrialsService, UsageReaderRegistry],
})
export class AccountsModule {}
