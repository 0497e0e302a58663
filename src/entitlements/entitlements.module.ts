import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import {
  ENTITLEMENT_POLICY,
  ENTITLEMENT_POLICY_PROVIDERS,
  PLAN_LIMITS,
} from './entitlement-policy.provider';
import { EntitlementService } from './entitlement.service';
import { ReplayService } from './replay.service';

/** The state machine's persistence: apply snapshots, account entitlement, history, replay. */
@Module({
  imports: [AccountsModule],
  providers: [...ENTITLEMENT_POLICY_PROVIDERS, EntitlementService, ReplayService],
  exports: [ENTITLEMENT_POLICY, PLAN_LIMITS, EntitlementService, ReplayService],
})
export class EntitlementsModule {}
