/** Account ids as the platform issues them: 1 to 64 letters, digits, `_` or `-`. */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID_PATTERN.test(value);
}

/**
 * The account key of a purchase linked to no account yet. Account-scoped tables are keyed (and
 * would be distributed) by account id, which must never be null; '' is not a valid account id, so
 * it can never collide with a real one.
 */
export const UNLINKED_ACCOUNT_KEY = '';

export function accountKey(accountId: string | null): string {
  return accountId ?? UNLINKED_ACCOUNT_KEY;
}

export function accountFromKey(key: string): string | null {
  return key === UNLINKED_ACCOUNT_KEY ? null : key;
}
