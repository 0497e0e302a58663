import { diffPaths } from './state-diff';

describe('diffPaths', () => {
  it.each([
    ['equal scalars', 1, 1, []],
    ['equal nested values', { a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }, []],
    ['a changed scalar', { a: 1, b: 2 }, { a: 1, b: 3 }, ['b']],
    [
      'a nested change',
      { latest: { status: 'active' } },
      { latest: { status: 'expired' } },
      ['latest.status'],
    ],
    ['a missing key', { a: 1 }, {}, ['a']],
    ['an array element', { ids: ['a', 'b'] }, { ids: ['a', 'c'] }, ['ids[1]']],
    ['a longer array', { ids: ['a'] }, { ids: ['a', 'b'] }, ['ids[1]']],
    ['null against an object', { p: null }, { p: { x: 1 } }, ['p']],
    ['different types at the top', 'x', 2, ['(value)']],
  ])('%s', (_name, a, b, expected) => {
    expect(diffPaths(a, b)).toEqual(expected);
  });
});
