import { randomUUID } from 'node:crypto';
import type { AccessClaims } from '../access/tokens';
import { ForbiddenError } from '../shared/errors';
import { hashPassword } from '../shared/passwords';
import { isPrivileged, parseRoles, type Role } from '../shared/roles';
import type { SignUpInput } from '../shared/validation';
import { createUser, type User } from '../store/users';
import { enqueueAfterChange } from '../email/queue';
import type { AccountDeps, MailingDeps } from './types';
import { MESSAGES } from '../shared/messages';
import { admitSignUp, mayMailFrom } from './lockout';
import { describeError, logger, rootCause } from '../shared/log';

/**
 * Registers a user. Roles other than `user` need an admin as the caller (`actor`): the token must say
 * admin, and the stored profile must still say so when the user is written (checked in the same
 * transaction). The database transaction makes username and email unique. A verification link is
 * mailed, within the per-IP mail limit. Throws UnknownRoleError, ForbiddenError,
 * TooManyRequestsError, UsernameTakenError, EmailTakenError.
 */
export async function signUp(deps: MailingDeps, input: SignUpInput, actor: AccessClaims | undefined): Promise<User> {
  const roles = parseRoles(input.roles);
  if (isPrivileged(roles) && !actor?.roles.includes('admin')) throw new ForbiddenError(MESSAGES.roleRequired.admin);
  // Before the password is hashed or anything is written, so a refusal costs no bcrypt work. Requests
  // refused above for their input are not counted; taken names and addresses are (a prober asks about
  // exactly those).
  await admitSignUp(deps, deps.client.ip);
  // The link goes to an address nobody has proved yet: it counts against the per-IP mail limit, as
  // forgot and resend do (and against the address's quota in the mailer). Past the limit the account
  // is still created, without a link; its owner can ask with POST /api/auth/email/resend later.
  // Counted while the password is hashed, so sign-up waits for no extra round trip.
  const [mayMail, created] = await Promise.allSettled([
    mayMailFrom(deps, deps.client.ip),
    registerUser(deps, input, roles, isPrivileged(roles) ? actor?.userId : undefined),
  ]);
  if (created.status === 'rejected') throw created.reason;
  if (mayMail.status === 'rejected') {
    // The account stands; without a count the link is withheld, as past the limit.
    logger.error('verification link withheld: mail count failed', { error: describeError(rootCause(mayMail.reason)) });
  } else if (mayMail.value) {
    await enqueueAfterChange(deps.mail, { kind: 'verify-email', userId: created.value.id }, deps.table.deadline);
  }
  return created.value;
}

/**
 * Stores a new user with these roles. `grantedBy` is the admin granting them (checked as stored);
 * undefined for plain users and for the operator's bootstrap, which acts with the table's credentials.
 */
export async function registerUser(
  deps: AccountDeps,
  input: { username: string; email: string; password: string },
  roles: Role[],
  grantedBy: string | undefined,
  options: { emailVerified?: boolean } = {},
): Promise<User> {
  const user: User = {
    id: randomUUID(),
    username: input.username,
    email: input.email,
    passwordHash: await hashPassword(input.password, deps.config.bcryptCost),
    roles,
    createdAt: deps.now().toISOString(),
    credVersion: 0,
    mfaEnabled: false,
    emailVerified: options.emailVerified === true,
  };
  await createUser(deps.table, user, grantedBy);
  return user;
}
