import { createHmac, randomBytes } from 'node:crypto';
import { readCursor, signCursor } from '../../lib/store/cursor';

// Page cursors (lib/store/cursor.ts): what the service signed reads back; anything else is undefined
// (a 400 at the route), never an exception and never a position the service did not issue.
const secret = randomBytes(32);
const position = { after: 'USER#b', shard: 3 };
const macOf = (body: string) => createHmac('sha256', secret).update(body, 'utf8').digest('base64url');

describe('page cursors', () => {
  it('read back what was signed with the same key', () => {
    expect(readCursor(signCursor(position, secret), secret)).toEqual(position);
  });

  it.each([
    ['another key', () => signCursor(position, randomBytes(32))],
    ['an edited body', () => `${Buffer.from(JSON.stringify({ ...position, shard: 4 })).toString('base64url')}.${signCursor(position, secret).split('.')[1]}`],
    ['a truncated MAC', () => signCursor(position, secret).slice(0, -2)],
    ['a third segment after a valid cursor', () => `${signCursor(position, secret)}.x`],
    ['no MAC', () => signCursor(position, secret).split('.')[0]!],
    ['an empty string', () => ''],
  ])('refuse %s', (_, cursor) => {
    expect(readCursor(cursor(), secret)).toBeUndefined();
  });

  it('refuse a correctly signed body that is not JSON, without throwing', () => {
    const body = Buffer.from('not json', 'utf8').toString('base64url');
    expect(readCursor(`${body}.${macOf(body)}`, secret)).toBeUndefined();
  });
});
