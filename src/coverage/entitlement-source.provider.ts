import type { Provider } from '@nestjs/common';
import { EntitlementSource } from './entitlement-cache';

/** Pending: bound to the entitlement persistence once it lands. */
export const EntitlementSourceProvider: Provider = {
  provide: EntitlementSource,
  useFactory: (): EntitlementSource => ({
    getAccountEntitlement: () => {
      throw new Error('entitlement source not wired');
    },
  }),
};
