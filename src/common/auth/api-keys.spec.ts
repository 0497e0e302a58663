import type { AppConfig } from '../../config/app-config';
import { AppException } from '../errors/app.exception';
import { ApiKeys } from './api-keys';

const GATEWAY_SECRET = 'gw_0123456789abcdef0123456789abcdef';
const ADMIN_SECRET = 'ad_0123456789abcdef0123456789abcdef';

function keys(): ApiKeys {
  return new ApiKeys({
    apiKeys: [
      { scope: 'gateway', secret: GATEWAY_SECRET },
      { scope: 'admin', secret: ADMIN_SECRET },
    ],
  } as AppConfig);
}

function statusOf(work: () => unknown): number | undefined {
  try {
    work();
    return undefined;
  } catch (e) {
    if (!(e instanceof AppException)) throw e;
    return e.status;
  }
}

describe('ApiKeys', () => {
  it('gives the scope of a configured key, again and again (the accepted header remembered)', () => {
    const k = keys();
    for (let i = 0; i < 3; i++) {
      expect(k.authorize(`Bearer ${GATEWAY_SECRET}`, ['gateway'])).toBe('gateway');
      expect(k.authorize(`bearer  ${ADMIN_SECRET} `, ['admin', 'gateway'])).toBe('admin');
    }
  });

  it('still refuses a remembered key on a route of another scope (403)', () => {
    const k = keys();
    expect(k.authorize(`Bearer ${GATEWAY_SECRET}`, ['gateway'])).toBe('gateway');
    expect(statusOf(() => k.authorize(`Bearer ${GATEWAY_SECRET}`, ['admin']))).toBe(403);
    expect(statusOf(() => k.authorize(`Bearer ${GATEWAY_SECRET}`, ['admin']))).toBe(403);
  });

  it('refuses no key, a malformed header and a key that is not ours (401), every time', () => {
    const k = keys();
    k.authorize(`Bearer ${GATEWAY_SECRET}`, ['gateway']);
    for (let i = 0; i < 2; i++) {
      expect(statusOf(() => k.authorize(undefined, ['gateway']))).toBe(401);
      expect(statusOf(() => k.authorize([`Bearer ${GATEWAY_SECRET}`], ['gateway']))).toBe(401);
      expect(statusOf(() => k.authorize(GATEWAY_SECRET, ['gateway']))).toBe(401);
      expect(statusOf(() => k.authorize(`Bearer ${GATEWAY_SECRET}x`, ['gateway']))).toBe(401);
      expect(statusOf(() => k.authorize(`Bearer ${GATEWAY_SECRET} x`, ['gateway']))).toBe(401);
    }
  });

  it('accepts any number of spellings of a key while remembering a bounded number', () => {
    const k = keys();
    for (let spaces = 1; spaces <= 500; spaces++) {
      expect(k.authorize(`Bearer${' '.repeat(spaces)}${GATEWAY_SECRET}`, ['gateway'])).toBe(
        'gateway',
      );
    }
    expect((k as unknown as { accepted: Map<string, string> }).accepted.size).toBeLessThanOrEqual(
      64,
    );
  });
});
