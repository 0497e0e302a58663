/**
 * Refresh-ahead of the coverage caches (see `CoverageRefresher`): an entry asked about once it is
 * older than this share of the TTL is read again in the background, so that an account still
 * being asked about is never missed on expiry.
 */
export const REFRESH_AHEAD_SHARE = 0.8;

/** Hears of each hit on an entry due to be read again ahead of its TTL. */
export type RefreshDueListener = (accountId: string) => void;

/** The age from which a cache's entries are due to be read again. */
export function refreshAheadAfterMs(ttlMs: number): number {
  return Math.floor(ttlMs * REFRESH_AHEAD_SHARE);
}
