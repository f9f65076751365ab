import { randomUUID } from 'node:crypto';
import { deleteUser, setUserRoles, userSessions } from '../../lib/account/admin-users';
import { refreshSession } from '../../lib/account/refresh';
import { listOwnSessions, signOut } from '../../lib/account/sessions';
import { signIn as signInOutcome } from '../../lib/account/sign-in';
import { signUp } from '../../lib/account/sign-up';
import type { MailingDeps, SecondFactorDeps } from '../../lib/account/types';
import { verifyAccessToken } from '../../lib/access/tokens';
import { NotFoundError } from '../../lib/shared/errors';
import { createTable } from '../../lib/store/table';
import { findUserByUsername } from '../../lib/store/users';
import { testAccountConfig } from '../support/account-config';
import { newUser } from '../support/data';
import { testKeySet } from '../support/keys';
import { recordingMailQueue } from '../support/mail';

// An admin's view of a user's sessions (GET /api/admin/users/{id}/sessions), against the real DynamoDB
// Local: the same live sessions the user's own list shows, by the same rule, with no `current`.
let clock = new Date('2031-05-01T09:00:00Z');
let deps: SecondFactorDeps & MailingDeps;
const laptop = { userAgent: 'laptop browser', ip: '127.0.0.2' };
const phone = { userAgent: 'phone browser', ip: '127.0.0.3' };

beforeAll(async () => {
  deps = {
    table: createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT }),
    keys: (await testKeySet()).keys,
    now: () => clock,
    client: { userAgent: 'jest', ip: '127.0.0.1' },
    mail: recordingMailQueue(),
    config: testAccountConfig,
  };
});
afterAll(() => deps.table.client.destroy());

const later = (seconds: number) => {
  clock = new Date(clock.getTime() + seconds * 1000);
};

/** A password sign-in from `client`: the session's id (the refresh token names it), its tokens. */
async function signInFrom(client: { userAgent: string; ip: string }, input: { username: string; password: string }) {
  const outcome = await signInOutcome({ ...deps, client }, input);
  if ('mfaRequired' in outcome) throw new Error('unexpected MFA challenge');
  return { sessionId: outcome.refreshToken.split('.')[1]!, accessToken: outcome.accessToken, refreshToken: outcome.refreshToken };
}

async function registered() {
  const input = newUser('sessions');
  await signUp(deps, input, undefined);
  return { input, id: (await findUserByUsername(deps.table, input.username))!.id };
}

const ids = async (userId: string) => (await userSessions(deps, userId)).sessions.map((session) => session.id);

describe("an admin's list of a user's sessions", () => {
  it('shows each live session, most recently used first, as the user sees it but with no current and never a token', async () => {
    const { input, id } = await registered();
    const onLaptop = await signInFrom(laptop, input);
    later(5);
    const onPhone = await signInFrom(phone, input);
    const started = clock.toISOString();
    expect(await userSessions(deps, id)).toEqual({
      sessions: [
        { id: onPhone.sessionId, createdAt: started, lastUsedAt: started, userAgent: 'phone browser', ip: '127.0.0.3' },
        { id: onLaptop.sessionId, createdAt: expect.any(String), lastUsedAt: expect.any(String), userAgent: 'laptop browser', ip: '127.0.0.2' },
      ],
    });
    expect(JSON.stringify(await userSessions(deps, id))).not.toContain(onLaptop.refreshToken.split('.')[3]!);

    // A refresh makes the laptop's the most recently used.
    later(5);
    await refreshSession(deps, onLaptop.refreshToken);
    expect(await ids(id)).toEqual([onLaptop.sessionId, onPhone.sessionId]);

    // The user's own list is the same sessions, the one it calls from marked current.
    const caller = await verifyAccessToken(deps.keys, onPhone.accessToken, { issuer: deps.config.issuer, audience: deps.config.audience, now: clock });
    expect((await listOwnSessions(deps, caller)).map(({ id: session, current }) => ({ session, current }))).toEqual([
      { session: onLaptop.sessionId, current: false },
      { session: onPhone.sessionId, current: true },
    ]);

    // A signed-out session is not listed; a role change ends the rest.
    await signOut(deps, onPhone.refreshToken);
    expect(await ids(id)).toEqual([onLaptop.sessionId]);
    await setUserRoles(deps, id, ['user', 'moderator'], randomUUID());
    expect(await userSessions(deps, id)).toEqual({ sessions: [] });
  });

  it('does not list a session past its expiry', async () => {
    const { input, id } = await registered();
    await signInFrom(laptop, input);
    expect(await ids(id)).toHaveLength(1);
    later(testAccountConfig.refreshTokenTtlSeconds + 1);
    expect(await ids(id)).toEqual([]);
  });

  it('is 404 for a user that does not exist: never registered, deleted, or an id the service never issues', async () => {
    const { input, id } = await registered();
    await signInFrom(laptop, input);
    await deleteUser(deps, id);
    for (const unknown of [randomUUID(), id, 'not-an-id', '']) await expect(userSessions(deps, unknown)).rejects.toThrow(new NotFoundError('User not found.'));
  });
});
