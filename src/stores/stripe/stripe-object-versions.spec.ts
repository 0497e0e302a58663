import {
  canonicalJson,
  combinedObservedAt,
  compareObjectVersions,
  type ObjectVersion,
} from './stripe-object-versions';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000);

function sub(
  status: string,
  periodEnd: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: 'sub_1',
    object: 'subscription',
    status,
    items: { data: [{ current_period_end: periodEnd }] },
    ...extra,
  };
}

describe('compareObjectVersions', () => {
  it('keeps the later observation', () => {
    const older: ObjectVersion = { observedAt: at(10), data: sub('canceled', 900) };
    const newer: ObjectVersion = { observedAt: at(11), data: sub('active', 100) };
    expect(compareObjectVersions(newer, older)).toBe(1);
    expect(compareObjectVersions(older, newer)).toBe(-1);
  });

  it.each([
    ['a later period end', sub('active', 200), sub('active', 100)],
    ['a later lifecycle stage', sub('past_due', 100), sub('active', 100)],
    ['canceled over trialing', sub('canceled', 100), sub('trialing', 100)],
    [
      'a scheduled cancellation',
      sub('active', 100, { cancel_at_period_end: true }),
      sub('active', 100),
    ],
    ['a flexible-mode cancel_at', sub('active', 100, { cancel_at: 100 }), sub('active', 100)],
  ])('within one second, %s wins', (_name, winner, loser) => {
    expect(
      compareObjectVersions(
        { observedAt: at(5), data: winner },
        { observedAt: at(5), data: loser },
      ),
    ).toBe(1);
    expect(
      compareObjectVersions(
        { observedAt: at(5), data: loser },
        { observedAt: at(5), data: winner },
      ),
    ).toBe(-1);
  });

  it('is a total order: different objects of one second never compare equal, identical ones do', () => {
    const a = { observedAt: at(1), data: { id: 'x', object: 'invoice', status: 'paid' } };
    const b = { observedAt: at(1), data: { id: 'x', object: 'invoice', status: 'open' } };
    expect(compareObjectVersions(a, b)).toBe(-compareObjectVersions(b, a));
    expect(compareObjectVersions(a, b)).not.toBe(0);
    expect(
      compareObjectVersions(a, {
        observedAt: at(1),
        data: { status: 'paid', object: 'invoice', id: 'x' },
      }),
    ).toBe(0);
  });

  it('canonicalJson serializes values with toJSON as the wire does', () => {
    const decimal = { _coefficient: BigInt(2000), toJSON: () => '2000' };
    expect(canonicalJson({ unit_amount_decimal: decimal })).toBe('{"unit_amount_decimal":"2000"}');
  });

  it('canonicalJson ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe(
      canonicalJson({ a: [{ c: null, d: 2 }], b: 1 }),
    );
  });
});

describe('combinedObservedAt', () => {
  it('is the part itself when there is one', () => {
    expect(combinedObservedAt([at(100)])).toEqual(at(100));
  });

  it('is the newest part, whole seconds, plus less than a second', () => {
    const t = combinedObservedAt([at(100), at(40)]);
    expect(Math.floor(t.getTime() / 1000)).toBe(Math.floor(at(100).getTime() / 1000));
    expect(t.getTime() - at(100).getTime()).toBeGreaterThanOrEqual(0);
    expect(t.getTime() - at(100).getTime()).toBeLessThan(1000);
  });

  it('grows as the other part gets newer, so a complete combination beats any earlier one', () => {
    const missing = combinedObservedAt([at(100), null]);
    const old = combinedObservedAt([at(100), at(100 - 86400 * 30)]);
    const day = combinedObservedAt([at(100), at(100 - 86400)]);
    const minute = combinedObservedAt([at(100), at(40)]);
    const same = combinedObservedAt([at(100), at(100)]);
    expect(missing.getTime()).toBeLessThan(old.getTime());
    expect(old.getTime()).toBeLessThan(day.getTime());
    expect(day.getTime()).toBeLessThan(minute.getTime());
    expect(minute.getTime()).toBeLessThan(same.getTime());
    // Symmetric: which part is the subscription does not matter.
    expect(combinedObservedAt([at(40), at(100)])).toEqual(minute);
  });

  it('needs a time', () => {
    expect(() => combinedObservedAt([null])).toThrow();
  });
});
