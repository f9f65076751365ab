import { epochSeconds } from '../shared/clock';
import { TooManyRequestsError, UnauthorizedError } from '../shared/errors';
import { verifyStoredPassword } from '../shared/passwords';
import { countAttempt } from '../store/attempts';
import type { AttemptScope } from '../store/item-keys';
import { getUser, normalizeIdentifier, type User } from '../store/users';
import { MESSAGES } from '../shared/messages';
import type { AccountDeps } from './types';

/**
 * Counts this attempt against the submitted username (existing or not, so a 429 reveals nothing) and
 * the source IP, before any password is checked: attempts past the threshold are refused unchecked,
 * so even a parallel burst gets no more guesses than the threshold. Throws TooManyRequestsError.
 * Also guards the password change, where a stolen access token would otherwise allow guessing.
 */
export async function admitAttempt(deps: AccountDeps, username: string, ip: string | undefined): Promise<void> {
  const now = epochSeconds(deps.now());
  const { lockoutWindowSeconds: window, lockoutThreshold, lockoutIpThreshold } = deps.config;
  const [perUser, perIp] = await Promise.all([
    countAttempt(deps.table, 'username', normalizeIdentifier(username), now, window),
    countAttempt(deps.table, 'ip', ip ?? 'unknown', now, window),
  ]);
  const locks = [...(perUser.count > lockoutThreshold ? [perUser.windowEndsAt] : []), ...(perIp.count > lockoutIpThreshold ? [perIp.windowEndsAt] : [])];
  if (locks.length > 0) throw new TooManyRequestsError(Math.max(...locks) - now);
}

/** Second-factor codes per account per lockout window, whatever mfaToken they come with. */
export const MFA_CODE_THRESHOLD = 10;

type Counter = { scope: AttemptScope; value: string; windowSeconds: number; threshold: number; message?: string };

/**
 * Counts one attempt under a single counter and refuses it (429 with Retry-After) once the window holds
 * more than `threshold`: the shape of every limit but sign-in's, which counts two keys at once.
 */
async function admitCounted(deps: AccountDeps, counter: Counter): Promise<void> {
  const wait = await overLimit(deps, counter);
  if (wait !== undefined) throw new TooManyRequestsError(wait, counter.message);
}

/** Counts one attempt; past the threshold, the seconds until its window ends, else undefined. */
async function overLimit(deps: AccountDeps, counter: Counter): Promise<number | undefined> {
  const now = epochSeconds(deps.now());
  const counted = await countAttempt(deps.table, counter.scope, counter.value, now, counter.windowSeconds);
  return counted.count > counter.threshold ? counted.windowEndsAt - now : undefined;
}

/**
 * Counts a second-factor attempt against the account before its code is checked, so an attacker who
 * knows the password cannot get new guesses by signing in again for fresh mfaTokens. Throws
 * TooManyRequestsError past MFA_CODE_THRESHOLD in the window.
 */
export function admitCodeAttempt(deps: AccountDeps, userId: string): Promise<void> {
  return admitCounted(deps, {
    scope: 'mfa',
    value: userId,
    windowSeconds: deps.config.lockoutWindowSeconds,
    threshold: MFA_CODE_THRESHOLD,
    message: MESSAGES.tooManyCodes,
  });
}

/**
 * Counts a passkey sign-in step (options or verify) against its source IP, like the sign-in's own per-IP
 * count but apart from it: past LOCKOUT_IP_THRESHOLD in LOCKOUT_WINDOW, 429. A passkey has no secret to
 * guess, so no per-account count: this bounds the challenges an address can make us store and the
 * signatures it can make us check.
 */
export function admitPasskeyStep(deps: AccountDeps, ip: string | undefined): Promise<void> {
  return admitCounted(deps, {
    scope: 'passkey-ip',
    value: ip ?? 'unknown',
    windowSeconds: deps.config.lockoutWindowSeconds,
    threshold: deps.config.lockoutIpThreshold,
    message: MESSAGES.tooManyAttempts,
  });
}

/** Social sign-in starts and callbacks per source IP: each start stores a state for 10 minutes. */
export function admitFederationStep(deps: AccountDeps, ip: string | undefined): Promise<void> {
  return admitCounted(deps, {
    scope: 'oauth-ip',
    value: ip ?? 'unknown',
    windowSeconds: deps.config.lockoutWindowSeconds,
    threshold: deps.config.lockoutIpThreshold,
    message: MESSAGES.tooManyAttempts,
  });
}

const mailCounter = (deps: AccountDeps, ip: string | undefined): Counter => ({
  scope: 'mail-ip',
  value: ip ?? 'unknown',
  windowSeconds: deps.config.emailIpWindowSeconds,
  threshold: deps.config.emailIpThreshold,
  message: MESSAGES.tooManyMailRequests,
});

/**
 * Counts a request that causes mail (forgot, resend) against its source IP: past EMAIL_IP_THRESHOLD in
 * EMAIL_IP_WINDOW it is refused with 429 and Retry-After. Per address, mails are limited silently by
 * the mailer instead (lib/store/mail-quota.ts), so no answer depends on the address.
 */
export function admitMailRequest(deps: AccountDeps, ip: string | undefined): Promise<void> {
  return admitCounted(deps, mailCounter(deps, ip));
}

/**
 * Counts sign-up's verification mail against the same per-IP mail counter as forgot and resend, and
 * says whether it may go out. Never refuses: the account exists already, and its owner can ask with
 * resend later; only the mail is withheld, so sign-ups cannot aim mail at addresses in bulk.
 */
export async function mayMailFrom(deps: AccountDeps, ip: string | undefined): Promise<boolean> {
  return (await overLimit(deps, mailCounter(deps, ip))) === undefined;
}

/**
 * Counts a sign-up against its source IP before any work is done (no password hashed, nothing
 * written): past SIGNUP_IP_THRESHOLD in SIGNUP_IP_WINDOW it is refused with 429 and Retry-After.
 * A threshold of 0 turns the limit off (no counter is written). Throws TooManyRequestsError.
 */
export async function admitSignUp(deps: AccountDeps, ip: string | undefined): Promise<void> {
  if (deps.config.signupIpThreshold === 0) return;
  await admitCounted(deps, {
    scope: 'signup-ip',
    value: ip ?? 'unknown',
    windowSeconds: deps.config.signupIpWindowSeconds,
    threshold: deps.config.signupIpThreshold,
    message: MESSAGES.tooManySignUps,
  });
}

/**
 * Counts a password-reset attempt against the source IP's sign-in counter (the same limit as sign-in
 * guesses). Not against the username: a reset is how a user whose name is under attack gets back in.
 */
export function admitResetAttempt(deps: AccountDeps, ip: string | undefined): Promise<void> {
  return admitCounted(deps, {
    scope: 'ip',
    value: ip ?? 'unknown',
    windowSeconds: deps.config.lockoutWindowSeconds,
    threshold: deps.config.lockoutIpThreshold,
  });
}

/**
 * The signed-in caller's profile, once the password they sent is checked: the attempt is counted like a
 * sign-in's first (so a stolen access token cannot be used to guess the password), and a wrong one is
 * 401 `Current password is incorrect!`. The confirmation of every sensitive change by the caller.
 */
export async function callerWithPassword(deps: AccountDeps, userId: string, password: string, ip: string | undefined): Promise<User> {
  const user = await getUser(deps.table, userId);
  if (!user) throw new UnauthorizedError();
  await admitAttempt(deps, user.username, ip);
  if (!(await verifyStoredPassword(password, user.passwordHash, deps.config.bcryptCost))) throw new UnauthorizedError(MESSAGES.currentPasswordWrong);
  return user;
}
