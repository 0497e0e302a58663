import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { accountsError, AccountsErrorCode } from './accounts-errors';
import { isValidAccountId } from './account-id';

/** The ids a client passes to the stores so their purchases come back linked to the account. */
export interface StoreIds {
  /** Apple `appAccountToken` (a UUID v4). */
  appleAppAccountToken: string;
  /** Google `obfuscatedAccountId` (opaque, at most 64 characters, not the account id). */
  googleObfuscatedAccountId: string;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GOOGLE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

interface StoreIdsRow {
  apple_app_account_token: string;
  google_obfuscated_account_id: string;
}

function toStoreIds(row: StoreIdsRow): StoreIds {
  return {
    appleAppAccountToken: row.apple_app_account_token,
    googleObfuscatedAccountId: row.google_obfuscated_account_id,
  };
}

/**
 * Issues each account its store ids on first request and maps them back. The ids are random, so
 * nothing about the account can be read from them; issued once, they never change.
 */
@Injectable()
export class StoreIdsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async forAccount(accountId: string): Promise<StoreIds> {
    if (!isValidAccountId(accountId)) throw accountsError(AccountsErrorCode.InvalidAccountId);
    const existing = await this.read(accountId);
    if (existing !== null) return existing;

    const now = this.clock.now();
    const apple = randomUUID();
    // 24 random bytes: 32 base64url characters, well inside Google's 64.
    const google = randomBytes(24).toString('base64url');
    return this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO accounts (id, created_at, updated_at) VALUES ($1, $2, $2)
         ON CONFLICT (id) DO NOTHING`,
        [accountId, now],
      );
      // Two first requests at once: the second waits for the first, then reads its ids.
      const inserted: StoreIdsRow[] = await m.query(
        `INSERT INTO account_store_ids
           (account_id, apple_app_account_token, google_obfuscated_account_id, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO NOTHING
         RETURNING apple_app_account_token, google_obfuscated_account_id`,
        [accountId, apple, google, now],
      );
      if (inserted.length === 0) {
        const rows: StoreIdsRow[] = await m.query(
          `SELECT apple_app_account_token, google_obfuscated_account_id
             FROM account_store_ids WHERE account_id = $1`,
          [accountId],
        );
        return toStoreIds(rows[0]);
      }
      await m.query(
        `INSERT INTO store_account_ids (kind, store_id, account_id, created_at)
         VALUES ('apple', $1, $3, $4), ('google', $2, $3, $4)`,
        [apple, google, accountId, now],
      );
      return toStoreIds(inserted[0]);
    });
  }

  /** The account an Apple `appAccountToken` was issued to, or null. */
  accountForAppleToken(token: string | null | undefined): Promise<string | null> {
    if (typeof token !== 'string' || !UUID_PATTERN.test(token)) return Promise.resolve(null);
    return this.lookup('apple', token.toLowerCase());
  }

  /** The account a Google `obfuscatedExternalAccountId` was issued to, or null. */
  accountForGoogleId(id: string | null | undefined): Promise<string | null> {
    if (typeof id !== 'string' || !GOOGLE_ID_PATTERN.test(id)) return Promise.resolve(null);
    return this.lookup('google', id);
  }

  private async read(accountId: string): Promise<StoreIds | null> {
    const rows: StoreIdsRow[] = await this.dataSource.query(
      `SELECT apple_app_account_token, google_obfuscated_account_id
         FROM account_store_ids WHERE account_id = $1`,
      [accountId],
    );
    return rows.length === 0 ? null : toStoreIds(rows[0]);
  }

  private async lookup(kind: 'apple' | 'google', storeId: string): Promise<string | null> {
    const rows: { account_id: string }[] = await this.dataSource.query(
      'SELECT account_id FROM store_account_ids WHERE kind = $1 AND store_id = $2',
      [kind, storeId],
    );
    return rows.length === 0 ? null : rows[0].account_id;
  }
}
