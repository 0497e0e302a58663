import { exceedsDepth } from './body-depth';

const nested = (depth: number, kind: 'array' | 'object'): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
};

describe('exceedsDepth', () => {
  it.each([
    ['a scalar', 1, 0, false],
    ['null', null, 0, false],
    ['an empty object', {}, 1, false],
    ['an empty object at limit 0', {}, 0, true],
    ['a flat job request', { modelId: 'sdxl-1024', width: 1024 }, 1, false],
    ['objects 32 deep at limit 32', nested(32, 'object'), 32, false],
    ['objects 33 deep at limit 32', nested(33, 'object'), 32, true],
    ['arrays 33 deep at limit 32', nested(33, 'array'), 32, true],
    ['a deep branch beside a shallow one', { a: 1, b: nested(40, 'array') }, 32, true],
  ])('%s', (_name, value, limit, expected) => {
    expect(exceedsDepth(value, limit)).toBe(expected);
  });

  it('handles nesting far beyond the call stack without overflowing', () => {
    expect(exceedsDepth(nested(200_000, 'array'), 64)).toBe(true);
  });
});
