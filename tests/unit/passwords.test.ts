import bcrypt from 'bcryptjs';
import { dummyHash, hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../../lib/shared/passwords';

describe('the dummy hash for unknown users', () => {
  it.each([4, 8, 10, 12])('is a well-formed bcrypt hash at cost %i, so comparing against it costs a real compare', (cost) => {
    expect(bcrypt.getRounds(dummyHash(cost))).toBe(cost);
    expect(dummyHash(cost)).toHaveLength(60);
  });

  it('matches no password', async () => {
    for (const password of ['', 'dummy password that never matches', '.'.repeat(53)]) {
      expect(await verifyPassword(password, dummyHash(4))).toBe(false);
      expect(await verifyAgainstDummy(password, 4)).toBe(false);
    }
  });
});

describe('needsRehash', () => {
  it('asks for a re-hash only below the configured cost, never to lower one', async () => {
    const atFive = await hashPassword('correct horse battery', 5);
    expect(needsRehash(atFive, 6)).toBe(true);
    expect(needsRehash(atFive, 5)).toBe(false);
    expect(needsRehash(atFive, 4)).toBe(false);
  });
});
