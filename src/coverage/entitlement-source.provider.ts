import type { Provider } from '@nestjs/common';
import { EntitlementService } from '../entitlements/entitlement.service';
import { EntitlementSource } from './entitlement-cache';

/** The cache reads through the entitlement persistence. */
export const EntitlementSourceProvider: Provider = {
  provide: EntitlementSource,
  useExisting: EntitlementService,
};
