import { isSessionLive, type SessionLiveness } from '../../lib/store/live-session';

// The one liveness rule that refresh and the authorizer share (lib/store/live-session.ts). Each row
// breaks exactly one condition of a live session, so dropping any one check turns its row red.
const now = 1_800_000_000;
const live: SessionLiveness = { expiresAt: now + 60, credVersion: 3 };
const profile = { credVersion: 3 };

describe('isSessionLive', () => {
  it('holds for a session neither revoked nor expired, opened under the current credentials', () => {
    expect(isSessionLive(live, profile, now)).toBe(true);
  });

  it.each<[string, SessionLiveness | undefined, { credVersion?: number } | undefined]>([
    ['no session', undefined, profile],
    ['no user (deleted)', live, undefined],
    ['revoked', { ...live, revokedAt: '2027-01-15T08:00:00.000Z' }, profile],
    ['expired this very second', { ...live, expiresAt: now }, profile],
    ['expired', { ...live, expiresAt: now - 1 }, profile],
    ['an unreadable expiry', { ...live, expiresAt: Number.NaN }, profile],
    ['opened before a password, role or MFA change', live, { credVersion: 4 }],
    ['opened under a version the user never had', live, { credVersion: 2 }],
    ['from before versions, after the user changed credentials once', { expiresAt: now + 60 }, { credVersion: 1 }],
  ])('is dead with %s', (_, session, user) => {
    expect(isSessionLive(session, user, now)).toBe(false);
  });

  it('reads a missing version as 0 on either side (items from before credentials versions)', () => {
    expect(isSessionLive({ expiresAt: now + 60 }, {}, now)).toBe(true);
    expect(isSessionLive({ expiresAt: now + 60 }, { credVersion: 0 }, now)).toBe(true);
    expect(isSessionLive({ expiresAt: now + 60, credVersion: 0 }, {}, now)).toBe(true);
  });
});
