import { identitiesPart } from '../account/identities';
import { mfaPart } from '../account/mfa';
import { passkeysPart } from '../account/passkeys';
import { profileForms, showProfile } from '../account/profile';
import { eventsPart, sessionsPart } from '../account/sessions';
import { AuthError } from '../../../client/src/index';
import { client, element, messageOf, pageUrl } from '../common/page';
import '../common/styles.css';

/**
 * The signed-in user's account (cookie session: the page holds no token): profile, password, two-step
 * verification, passkeys, linked providers, sessions, security events. Signed out, or once the session
 * ends (another device signed it out, it expired), the page goes to sign-in.
 */
const toSignIn = () => location.replace(pageUrl('auth/sign-in'));
let ended = false;
client.onSignedOut(() => {
  if (!ended) toSignIn();
});

/** After a password change: every session has ended, this one too; the page says so and offers sign-in. */
function signedOutEverywhere(message: string): void {
  ended = true;
  element('#account').hidden = true;
  element('#sign-out').hidden = true;
  element('#ended').hidden = false;
  element('#ended-message').textContent = message;
  element('#ended-title').focus();
}

client.me().then(
  (profile) => {
    element('#loading').hidden = true;
    element('#account').hidden = false;
    const signOut = element<HTMLButtonElement>('#sign-out');
    signOut.hidden = false;
    signOut.addEventListener('click', () => {
      signOut.disabled = true;
      // The client forgets the session whatever the service answered: on to sign-in either way.
      client
        .signOut()
        .catch(() => undefined)
        .then(toSignIn);
    });
    showProfile(profile);
    profileForms(profile, signedOutEverywhere);
    mfaPart(profile, () => showProfile(profile));
    const lists = { passkeys: passkeysPart(), identities: identitiesPart(profile), sessions: sessionsPart(toSignIn), events: eventsPart() };
    for (const [name, list] of Object.entries(lists)) {
      list.load().catch((failure: unknown) => {
        element(`#${name}-error`).textContent = messageOf(failure);
      });
    }
  },
  (failure: unknown) => {
    // A 401 signs the client out (onSignedOut above goes to sign-in); anything else is said here.
    if (failure instanceof AuthError && failure.status === 401) return;
    element('#loading').hidden = true;
    element('#load-error').textContent = messageOf(failure);
  },
);
