import type { ManualClock } from '../../src/common/clock';

/** The part of a coverage cache its refresh-ahead contract is about. */
interface RefreshingCache {
  onRefreshDue(listener: (accountId: string) => void): void;
  peek(accountId: string, now: Date): unknown;
}

/**
 * With account `a` just stored and a TTL of 10 s: a hit says `a` is due to be read again from 80%
 * of the TTL on, not before; once expired, a lookup is a miss and says nothing.
 */
export function expectDueFrom80PercentOfTtl(
  cache: RefreshingCache,
  clock: ManualClock,
  now: Date,
): void {
  const due: string[] = [];
  cache.onRefreshDue((accountId) => due.push(accountId));
  clock.advance(7_999);
  expect(cache.peek('a', now)).toBeDefined();
  expect(due).toEqual([]);
  clock.advance(1);
  expect(cache.peek('a', now)).toBeDefined();
  expect(due).toEqual(['a']);
  clock.advance(2_000);
  expect(cache.peek('a', now)).toBeUndefined();
  expect(due).toEqual(['a']);
}
