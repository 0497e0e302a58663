import { DataSource } from 'typeorm';
import { StoreIdsService } from '../../src/accounts/store-ids.service';
import { AppException } from '../../src/common/errors/app.exception';
import { createTestApp, TestApp } from '../support/test-app';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('store ids issued per account', () => {
  let t: TestApp;
  let storeIds: StoreIdsService;

  beforeAll(async () => {
    t = await createTestApp();
    storeIds = t.app.get(StoreIdsService);
  });

  afterAll(async () => {
    await t.close();
  });

  it('issues an Apple UUID v4 and an opaque Google id once, then returns the same', async () => {
    const ids = await storeIds.forAccount('acc_sid_issue');
    expect(ids.appleAppAccountToken).toMatch(UUID_V4);
    expect(ids.googleObfuscatedAccountId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(ids.googleObfuscatedAccountId).not.toContain('acc_sid_issue');
    expect(await storeIds.forAccount('acc_sid_issue')).toEqual(ids);
    const other = await storeIds.forAccount('acc_sid_issue_2');
    expect(other.appleAppAccountToken).not.toBe(ids.appleAppAccountToken);
    expect(other.googleObfuscatedAccountId).not.toBe(ids.googleObfuscatedAccountId);
  });

  it('issues one set of ids when first requests race', async () => {
    const all = await Promise.all(
      Array.from({ length: 8 }, () => storeIds.forAccount('acc_sid_racing')),
    );
    expect(new Set(all.map((ids) => ids.appleAppAccountToken)).size).toBe(1);
    const [{ n }] = await t.app
      .get(DataSource)
      .query(
        `SELECT count(*)::int AS n FROM store_account_ids WHERE account_id = 'acc_sid_racing'`,
      );
    expect(n).toBe(2);
  });

  it('maps the ids back to the account; anything else maps to nothing', async () => {
    const ids = await storeIds.forAccount('acc_sid_lookup');
    expect(await storeIds.accountForAppleToken(ids.appleAppAccountToken)).toBe('acc_sid_lookup');
    expect(await storeIds.accountForAppleToken(ids.appleAppAccountToken.toUpperCase())).toBe(
      'acc_sid_lookup',
    );
    expect(await storeIds.accountForGoogleId(ids.googleObfuscatedAccountId)).toBe('acc_sid_lookup');
    expect(await storeIds.accountForAppleToken('6f1c1d3e-0000-4000-8000-000000000000')).toBeNull();
    expect(await storeIds.accountForAppleToken('not-a-uuid')).toBeNull();
    expect(await storeIds.accountForAppleToken(null)).toBeNull();
    expect(await storeIds.accountForGoogleId('acc_sid_lookup')).toBeNull();
    expect(await storeIds.accountForGoogleId('x'.repeat(65))).toBeNull();
    expect(await storeIds.accountForGoogleId(undefined)).toBeNull();
  });

  it('refuses a malformed account id', async () => {
    await expect(storeIds.forAccount('bad id')).rejects.toMatchObject({
      constructor: AppException,
      code: 'invalid_account_id',
      status: 400,
    });
  });
});
