import { AccountStoreIdsEntity } from '../accounts/account-store-ids.entity';
import { AccountEntity } from '../accounts/account.entity';
import { StoreAccountIdEntity } from '../accounts/store-account-id.entity';
import { TrialGrantEntity } from '../accounts/trial-grant.entity';
import { AdmissionLockEntity } from '../coverage/admission-lock.entity';
import { DailyUsageEntity } from '../coverage/daily-usage.entity';
import { JobLeaseEntity } from '../coverage/job-lease.entity';
import { AppliedSnapshotEntity } from '../entitlements/applied-snapshot.entity';
import { EntitlementHistoryEntity } from '../entitlements/entitlement-history.entity';
import { StoreSubscriptionLinkEntity } from '../entitlements/store-subscription-link.entity';
import { StoreSubscriptionEntity } from '../entitlements/store-subscription.entity';
import { InboxEventEntity } from '../inbox/inbox-event.entity';
import { StripeCustomerEntity } from '../stores/stripe/stripe-customer.entity';
import { StripeObjectEntity } from '../stores/stripe/stripe-object.entity';
/**
 * Every TypeORM entity of the service, listed once for the app, the CLI and the drift check.
 * Add new entities here (one line each).
 */
export const ENTITIES: (new () => object)[] = [
  AccountEntity,
  AccountStoreIdsEntity,
  StoreAccountIdEntity,
  TrialGrantEntity,
  InboxEventEntity,
  StoreSubscriptionLinkEntity,
  StoreSubscriptionEntity,
  AppliedSnapshotEntity,
  EntitlementHistoryEntity,
  JobLeaseEntity,
  DailyUsageEntity,
  AdmissionLockEntity,
  StripeObjectEntity,
  StripeCustomerEntity,
];
