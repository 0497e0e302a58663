import { accountFromKey, accountKey, isValidAccountId, UNLINKED_ACCOUNT_KEY } from './account-id';

describe('account ids', () => {
  it.each([
    ['acc_1', true],
    ['A-z_09', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['', false],
    ['has space', false],
    ['semi;colon', false],
    ['é', false],
    [42, false],
    [null, false],
  ])('%p is valid: %p', (value, expected) => {
    expect(isValidAccountId(value)).toBe(expected);
  });

  it('keys an unlinked purchase under a key no valid account id can take', () => {
    expect(isValidAccountId(UNLINKED_ACCOUNT_KEY)).toBe(false);
    expect(accountKey(null)).toBe(UNLINKED_ACCOUNT_KEY);
    expect(accountFromKey(accountKey(null))).toBeNull();
    expect(accountFromKey(accountKey('acc_1'))).toBe('acc_1');
  });
});
