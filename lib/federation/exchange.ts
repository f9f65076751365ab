import { startChallenge } from '../account/mfa';
import { openSession } from '../account/open-session';
import type { SignInOutcome } from '../account/sign-in';
import { epochSeconds } from '../shared/clock';
import { BadRequestError, ForbiddenError } from '../shared/errors';
import { MESSAGES } from '../shared/messages';
import { spendSignInCode } from '../store/identities';
import { getUser } from '../store/users';
import type { FederatedSignInDeps } from './types';

/**
 * `POST /api/auth/oauth/token {code}`: the one-time code of a finished social sign-in, for the sign-in
 * body (and cookie), or the MFA step for a user with MFA on (`amr` fed, then otp). Spent first, whatever
 * follows; a used or expired code, or one made before a credentials change, is 400
 * `Sign-in code is invalid or has expired.` The session opens under the credentials the code was made
 * under, or not at all.
 */
export async function signInWithCode(deps: FederatedSignInDeps, code: string): Promise<SignInOutcome> {
  const invalid = new BadRequestError(MESSAGES.oauthCodeInvalid);
  const spent = await spendSignInCode(deps.table, code, epochSeconds(deps.now()));
  if (!spent) throw invalid;
  const user = await getUser(deps.table, spent.userId);
  if (!user || user.credVersion !== spent.credVersion) throw invalid;
  if (deps.config.requireVerifiedEmail && !user.emailVerified) throw new ForbiddenError(MESSAGES.emailNotVerified);
  if (user.mfaEnabled) return startChallenge(deps, user, 'fed');
  return openSession(deps, user, ['fed'], invalid);
}
