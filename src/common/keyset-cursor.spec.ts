import { decodeCursor, encodeCursor } from './keyset-cursor';

describe('keyset cursor', () => {
  it('round-trips a position', () => {
    const position = { at: new Date('2026-03-04T05:06:07.089Z'), id: '12345' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['wrong shape', Buffer.from('{"a":1}').toString('base64url')],
    ['bad date', Buffer.from('["yesterday","1"]').toString('base64url')],
    ['non-canonical date', Buffer.from('["2026-01-01","1"]').toString('base64url')],
    ['empty id', Buffer.from('["2026-01-01T00:00:00.000Z",""]').toString('base64url')],
    ['numeric id', Buffer.from('["2026-01-01T00:00:00.000Z",1]').toString('base64url')],
  ])('rejects a cursor that is %s', (_name, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});
