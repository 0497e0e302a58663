/** API keys every test app is configured with (long enough to pass validation). */
export const TEST_KEYS = {
  gateway: 'gw_test_key_0123456789abcdef',
  dashboard: 'db_test_key_0123456789abcdef',
  admin: 'ad_test_key_0123456789abcdef',
} as const;

export const TEST_API_KEYS_ENV = Object.entries(TEST_KEYS)
  .map(([scope, secret]) => `${scope}:${secret}`)
  .join(',');

export const bearer = (scope: keyof typeof TEST_KEYS): string => `Bearer ${TEST_KEYS[scope]}`;
