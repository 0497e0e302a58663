import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import {
  EntitlementService,
  InvalidHistoryCursorError,
  type HistoryPage,
  type HistoryQuery,
} from '../entitlements/entitlement.service';
import { accountsError, AccountsErrorCode } from './accounts-errors';
import { entitlementView, type EntitlementView } from './entitlement-view';
import { UsageReaderRegistry } from './usage-reader.registry';

/** The dashboard's read-only account status and history. */
@Injectable()
export class AccountStatusService {
  constructor(
    private readonly entitlements: EntitlementService,
    private readonly usage: UsageReaderRegistry,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async entitlement(accountId: string): Promise<EntitlementView> {
    const now = this.clock.now();
    const [entitlement, usage] = await Promise.all([
      this.entitlements.getAccountEntitlement(accountId, now),
      this.usage.usageToday(accountId, now),
    ]);
    return entitlementView(entitlement, usage, {
      googlePackageName: this.config.google.packageName,
    });
  }

  async history(accountId: string, query: HistoryQuery): Promise<HistoryPage> {
    try {
      return await this.entitlements.history(accountId, query);
    } catch (error) {
      if (error instanceof InvalidHistoryCursorError) {
        throw accountsError(AccountsErrorCode.InvalidCursor);
      }
      throw error;
    }
  }
}
