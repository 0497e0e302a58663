import { PermanentInboxError } from './inbox.types';
import { backoffDelayMs, describeError } from './inbox-backoff';

describe('backoffDelayMs', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [10, 512000],
    [12, 2048000],
    [13, 3600000],
    [100, 3600000],
  ])('after %i failed attempt(s) waits %i ms (base 1 s, cap 1 h)', (attempts, expected) => {
    expect(backoffDelayMs(attempts, 1000, 3600000)).toBe(expected);
  });

  it('never goes below the base, even for a nonsensical attempt count', () => {
    expect(backoffDelayMs(0, 250, 10000)).toBe(250);
    expect(backoffDelayMs(-3, 250, 10000)).toBe(250);
  });
});

describe('describeError', () => {
  it('prefixes the code of a coded error', () => {
    expect(describeError(new PermanentInboxError('bad_payload', 'no subscription id'))).toBe(
      'bad_payload: no subscription id',
    );
  });

  it('uses the message of a plain error and the string of anything else', () => {
    expect(describeError(new Error('timeout'))).toBe('timeout');
    expect(describeError('boom')).toBe('boom');
  });

  it('bounds the length', () => {
    const text = describeError(new Error('x'.repeat(5000)), 100);
    expect(text).toHaveLength(100);
    expect(text.endsWith('…')).toBe(true);
  });
});
