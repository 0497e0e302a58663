import type { INestApplicationContext } from '@nestjs/common';
import { EntitlementService } from '../../../src/entitlements/entitlement.service';
import { accountIdOf, situationOf, snapshotsFor, Situation } from './account-mix';

export interface SeededAccount {
  accountId: string;
  index: number;
  situation: Situation;
}

/**
 * Applies the account mix's snapshots for accounts `prefix00000`.. through the service's own
 * write path, a few at a time.
 */
export async function seedAccounts(
  app: INestApplicationContext,
  prefix: string,
  count: number,
  now: Date = new Date(),
  parallel = 4,
): Promise<SeededAccount[]> {
  const entitlements = app.get(EntitlementService);
  const accounts = Array.from({ length: count }, (_, index) => ({
    accountId: accountIdOf(prefix, index),
    index,
    situation: situationOf(index),
  }));
  let next = 0;
  const worker = async () => {
    while (next < accounts.length) {
      const a = accounts[next++];
      for (const snapshot of snapshotsFor(a.accountId, a.index, now)) {
        await entitlements.apply(snapshot);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return accounts;
}
