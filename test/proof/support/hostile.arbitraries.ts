/** fast-check arbitraries of hostile input: wrong types, odd unicode, SQL-looking text, deep nesting. */
import fc from 'fast-check';

export const SQL_AND_FRIENDS = [
  "' OR '1'='1",
  "'; DROP TABLE accounts; --",
  '1; SELECT pg_sleep(10)',
  "acct_1' UNION SELECT * FROM inbox_events --",
  '$1',
  '\\x00',
  '\u0000',
  '%00',
  '../../../../etc/passwd',
  '..%2f..%2f',
  '${jndi:ldap://example.invalid/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'null',
  'true',
  '',
  ' ',
  '\u202e\u0635\u0648\u0631\u0629', // right-to-left override
  '\ud83d\udc80\u200d\ud83d\udd25', // emoji with ZWJ
  '\ud800', // lone surrogate
  'e\u0301\u0301\u0301\u0301\u0301', // stacked combining marks
  'A'.repeat(10_000),
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SQL_AND_FRIENDS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1 + 0.2, Number.MIN_VALUE, 4.5),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, with hostile leaves. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Nesting `depth` levels deep, as arrays or objects. */
export function deeplyNested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A body for a route that knows its fields: the right names with wrong or hostile values. */
export function bodyFor(fields: string[]): fc.Arbitrary<unknown> {
  const known = fields.length
    ? fc.dictionary(fc.constantFrom(...fields), hostileValue, { maxKeys: fields.length })
    : fc.constant({});
  return fc.oneof(
    { weight: 3, arbitrary: known },
    {
      weight: 1,
      arbitrary: fc
        .tuple(known, fc.dictionary(hostileString, hostileValue, { minKeys: 1, maxKeys: 3 }))
        .map(([a, b]) => ({ ...b, ...(a as object) })),
    },
    { weight: 1, arbitrary: hostileValue },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        JSON.parse('{"__proto__": {"isAdmin": true}}'),
        { constructor: { prototype: { isAdmin: true } } },
        [],
        'a string body',
        12,
        null,
      ),
    },
  );
}
